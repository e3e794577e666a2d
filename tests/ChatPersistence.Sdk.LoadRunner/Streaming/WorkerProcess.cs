using System.Diagnostics;
using System.Text;

namespace ChatPersistence.Sdk.LoadRunner.Streaming;

/// <summary>
/// A worker of the streaming mode as a separate OS process (<c>dotnet ChatPersistence.Sdk.LoadRunner.dll --streaming-worker</c>):
/// each line it writes goes to <see cref="LineReceived"/>; <see cref="Kill"/> sends SIGKILL (no end, no flush: a crash).
/// </summary>
internal sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _errors = new();
    private readonly TaskCompletionSource _outputClosed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private WorkerProcess(Process process) => _process = process;

    /// <summary>Called with every line of standard output, on a thread-pool thread.</summary>
    public event Action<string>? LineReceived;

    public bool Killed { get; private set; }

    public int Id => _process.Id;

    public string Errors
    {
        get
        {
            lock (_errors)
            {
                return _errors.ToString();
            }
        }
    }

    public int ExitCode => _process.ExitCode;

    public static WorkerProcess Start(IEnumerable<string> arguments, Action<string> onLine)
    {
        var dll = typeof(WorkerProcess).Assembly.Location;
        var info = new ProcessStartInfo(Host()) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--streaming-worker");
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        var worker = new WorkerProcess(new Process { StartInfo = info });
        worker.LineReceived += onLine;
        worker._process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                worker._outputClosed.TrySetResult();
            }
            else
            {
                worker.LineReceived?.Invoke(e.Data);
            }
        };
        worker._process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (worker._errors)
                {
                    worker._errors.AppendLine(e.Data);
                }
            }
        };
        worker._process.Start();
        worker._process.BeginOutputReadLine();
        worker._process.BeginErrorReadLine();
        return worker;
    }

    /// <summary>SIGKILL: the process ends at once, with its connections and whatever it had not flushed.</summary>
    public void Kill()
    {
        Killed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
        }
    }

    /// <summary>Waits until the process has exited and every line it wrote has been handled.</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        await _process.WaitForExitAsync(cancellationToken);
        await _outputClosed.Task.WaitAsync(cancellationToken);
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Never started or already gone.
        }

        _process.Dispose();
    }

    private static string Host()
    {
        // The same dotnet that runs this process (the test host or `dotnet run`'s app host), else the one on PATH.
        if (Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet")
        {
            return path;
        }

        return Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host ? host : "dotnet";
    }
}
