using System.Diagnostics;
using System.Text;

namespace ChatPersistence.Samples.Tests;

/// <summary>Runs the console sample's built output as a real process with piped standard input.</summary>
internal static class ConsoleProcess
{
    public static string SampleDll
    {
        get
        {
            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
            var root = AppContext.BaseDirectory;
            while (!File.Exists(Path.Combine(root, "ChatPersistence.Sdk.sln")))
            {
                root = Path.GetDirectoryName(root.TrimEnd(Path.DirectorySeparatorChar)) ?? throw new InvalidOperationException("Repository root not found.");
            }

            var dll = Path.Combine(root, "samples", "ChatPersistence.Samples.Console", "bin", configuration, "net10.0", "chat-console.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException("Build the console sample first (the test project references it).", dll);
        }
    }

    public static Task<(int ExitCode, string Output)> RunAsync(string stdin, params string[] args) => RunAsync(stdin, new Dictionary<string, string>(), args);

    public static async Task<(int ExitCode, string Output)> RunAsync(string stdin, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            StandardInputEncoding = new UTF8Encoding(false),
        };
        start.ArgumentList.Add(SampleDll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["Assistant__Provider"] = "Offline";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the sample.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("The console sample did not finish within 90 s. Output so far: " + await output);
        }

        return (process.ExitCode, await output + await error);
    }
}
