using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// The chat server as a separate OS process (<c>dotnet chat-server.dll</c> from the test output, where the build copies it
/// with its wwwroot), on a free loopback port; stopped (killed) with its process tree. Its output is kept for failure messages.
/// </summary>
public sealed partial class ServerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<string> _url = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServerProcess(Process process) => _process = process;

    /// <summary>The server's address, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string Url { get; private set; } = "";

    public int Port => new Uri(Url).Port;

    public bool HasExited => _process.HasExited;

    /// <summary>What the process wrote so far (stdout and stderr).</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Starts the server with <paramref name="settings"/> (command-line configuration) and waits until it listens.</summary>
    public static async Task<ServerProcess> StartAsync(IEnumerable<string> settings)
    {
        var folder = AppContext.BaseDirectory;
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = folder,
        };
        info.ArgumentList.Add(Path.Combine(folder, "chat-server.dll"));
        foreach (var argument in new[] { "--urls", "http://127.0.0.1:0", "--contentRoot", folder }.Concat(settings))
        {
            info.ArgumentList.Add(argument);
        }

        var server = new ServerProcess(new Process { StartInfo = info, EnableRaisingEvents = true });
        server._process.OutputDataReceived += (_, e) => server.Append(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.Append(e.Data);
        server._process.Exited += (_, _) => server._url.TrySetException(new InvalidOperationException("The chat server exited before listening:\n" + server.Output));
        server._process.Start();
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        try
        {
            server.Url = await server._url.Task.WaitAsync(TimeSpan.FromSeconds(60));
        }
        catch
        {
            server.Dispose();
            throw;
        }

        return server;
    }

    /// <summary>Kills the process (no graceful shutdown: sockets drop as when an instance crashes) and waits for it.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (Listening().Match(line) is { Success: true } match)
        {
            _url.TrySetResult(match.Groups[1].Value);
        }
    }

    [GeneratedRegex(@"open (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();
}
