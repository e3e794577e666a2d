using System.Diagnostics;
using FluentAssertions;

namespace ChatPersistence.Sdk.PackageTests;

/// <summary>Runs the .NET CLI and the apps it builds as child processes, and cleans up after them.</summary>
public static class Processes
{
    /// <summary>Runs a program to completion and returns its output; a non-zero exit fails the test with that output.</summary>
    /// <param name="program">The program.</param>
    /// <param name="workingDirectory">Where it runs.</param>
    /// <param name="timeout">How long it may run before it is killed (a hang, not a timing assertion).</param>
    /// <param name="args">Its arguments.</param>
    /// <returns>Standard output and standard error.</returns>
    public static Task<string> RunAsync(string program, string workingDirectory, TimeSpan timeout, params string[] args) =>
        RunAsync(program, workingDirectory, timeout, new Dictionary<string, string>(), args);

    /// <summary>Runs a program with extra environment variables; see <see cref="RunAsync(string, string, TimeSpan, string[])"/>.</summary>
    /// <param name="program">The program.</param>
    /// <param name="workingDirectory">Where it runs.</param>
    /// <param name="timeout">How long it may run before it is killed.</param>
    /// <param name="environment">Variables added to its environment.</param>
    /// <param name="args">Its arguments.</param>
    /// <returns>Standard output and standard error.</returns>
    public static async Task<string> RunAsync(string program, string workingDirectory, TimeSpan timeout, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        // Keep the child build independent of the test host's MSBuild settings.
        start.Environment.Remove("MSBuildExtensionsPath");
        start.Environment.Remove("MSBUILD_EXE_PATH");
        start.Environment.Remove("MSBuildSDKsPath");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"`{program} {string.Join(' ', args)}` did not finish within {timeout}.");
        }

        var output = await stdout + await stderr;
        process.ExitCode.Should().Be(0, $"`{program} {string.Join(' ', args)}` failed:\n{output}");
        return output;
    }

    /// <summary>Deletes a folder and everything in it, if it exists.</summary>
    /// <param name="path">The folder.</param>
    public static void DeleteDirectory(string path)
    {
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }
    }
}
