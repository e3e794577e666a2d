using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using StackExchange.Redis;

namespace ChatPersistence.Sdk.Decorators.Tests;

/// <summary>
/// A throwaway Redis server for tests: Debian's <c>redis-server</c> started on a free loopback port with a temporary folder,
/// no persistence (a restarted server is empty, like a cache that lost its data), stopped when disposed or when the process
/// exits. Without the binary, <see cref="StartAsync"/> fails with a message that says what to install — tests never skip.
/// </summary>
public sealed class RedisServer : IAsyncDisposable
{
    private static readonly string[] Candidates = ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server"];
    private readonly string _binary;
    private readonly string _folder;
    private Process? _process;

    private RedisServer(string binary, string folder, int port)
    {
        _binary = binary;
        _folder = folder;
        Port = port;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Kill();
    }

    /// <summary>The TCP port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>Whether the server process is running.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>
    /// Client settings for the tests: fail fast while the server is down (no command backlog, 1-second timeouts), keep
    /// reconnecting in the background.
    /// </summary>
    public ConfigurationOptions ClientOptions()
    {
        var options = new ConfigurationOptions
        {
            AbortOnConnectFail = false,
            ConnectTimeout = 1000,
            SyncTimeout = 1000,
            AsyncTimeout = 1000,
            ConnectRetry = 1,
            BacklogPolicy = BacklogPolicy.FailFast,
            ReconnectRetryPolicy = new LinearRetry(200),
        };
        options.EndPoints.Add(IPAddress.Loopback, Port);
        return options;
    }

    /// <summary>Starts a server.</summary>
    /// <returns>The running server.</returns>
    /// <exception cref="InvalidOperationException"><c>redis-server</c> is not installed, or did not start.</exception>
    public static async Task<RedisServer> StartAsync()
    {
        var binary = Candidates.FirstOrDefault(File.Exists) ?? FindOnPath() ?? throw new InvalidOperationException(
            "The cache tests need Redis and start a throwaway server themselves, but 'redis-server' was not found (looked in " +
            string.Join(", ", Candidates) + " and on PATH). Install it: 'apt-get install redis-server' on Debian/Ubuntu, or run " +
            "'bash scripts/install-test-prerequisites.sh'. These tests do not skip.");
        var folder = Path.Combine(Path.GetTempPath(), "chatpersistence-redis-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var server = new RedisServer(binary, folder, FreePort());
        await server.StartAgainAsync();
        return server;
    }

    /// <summary>Starts the server again on the same port (empty: nothing is persisted).</summary>
    /// <returns>A task that completes when the server answers PING.</returns>
    public async Task StartAgainAsync()
    {
        if (IsRunning)
        {
            return;
        }

        var start = new ProcessStartInfo(_binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = _folder,
        };
        foreach (var arg in new[]
        {
            "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", _folder,
            "--save", "", "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning", "--logfile", "",
        })
        {
            start.ArgumentList.Add(arg);
        }

        var output = new StringBuilder();
        _process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {_binary}.");
        _process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        _process.ErrorDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                break;
            }

            if (await PingAsync())
            {
                return;
            }

            await Task.Delay(50);
        }

        Kill();
        lock (output)
        {
            throw new InvalidOperationException($"redis-server on port {Port} did not answer PING within 15 s. Its output:\n{output}");
        }
    }

    /// <summary>Stops the server at once (SIGKILL), as a crash or a network loss would look to its clients.</summary>
    public void Stop() => Kill();

    public ValueTask DisposeAsync()
    {
        Kill();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }

    private void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            process.WaitForExit(5000);
        }
    }

    private async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer);
            return Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string? FindOnPath() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, "redis-server"))
            .FirstOrDefault(File.Exists);

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
