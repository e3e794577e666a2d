using System.Diagnostics;
using System.Security.Cryptography;

namespace ChatPersistence.Sdk.Supabase.Tests;

/// <summary>
/// Runs a script of tests/ChatPersistence.Sdk.Supabase.Tests/supabase-js with the real supabase-js from npm (the version
/// pinned in its package-lock.json, installed with <c>npm ci</c> next to the test binaries on first use). Node.js and npm
/// are required: without them the test fails and says how to install them; it never skips.
/// </summary>
public static class SupabaseJs
{
    private static readonly SemaphoreSlim InstallLock = new(1, 1);

    private static string Directory => Path.Combine(AppContext.BaseDirectory, "supabase-js");

    /// <summary>Runs <paramref name="script"/> with node and the given environment; returns its standard output.</summary>
    public static async Task<string> RunAsync(string script, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        await InstallAsync(timeout);
        var version = (await RunProcessAsync("node", ["--version"], Directory, new Dictionary<string, string>(), timeout)).Trim();
        // supabase-js builds a Realtime client, which needs a global WebSocket: Node 22+ has one, Node 20 behind a flag.
        var major = int.Parse(version.TrimStart('v').Split('.')[0], System.Globalization.CultureInfo.InvariantCulture);
        string[] arguments = major < 22 ? ["--experimental-websocket", script] : [script];
        return await RunProcessAsync("node", arguments, Directory, environment, timeout);
    }

    private static async Task InstallAsync(TimeSpan timeout)
    {
        await InstallLock.WaitAsync();
        try
        {
            var lockFile = Path.Combine(Directory, "package-lock.json");
            var hash = Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(lockFile)));
            var stamp = Path.Combine(Directory, "node_modules", ".installed-from-lock");
            if (File.Exists(stamp) && await File.ReadAllTextAsync(stamp) == hash)
            {
                return;
            }

            await RunProcessAsync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], Directory, new Dictionary<string, string>(), timeout);
            await File.WriteAllTextAsync(stamp, hash);
        }
        finally
        {
            InstallLock.Release();
        }
    }

    private static async Task<string> RunProcessAsync(string file, string[] arguments, string directory, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException(
                $"'{file}' is needed to run supabase-js against the test server and was not found: apt-get install -y nodejs npm " +
                "(scripts/install-test-prerequisites.sh installs it).", ex);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            using var cancellation = new CancellationTokenSource(timeout);
            try
            {
                await process.WaitForExitAsync(cancellation.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{file} {string.Join(' ', arguments)} did not finish within {timeout} (a hang): {await error}");
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"{file} {string.Join(' ', arguments)} exited with {process.ExitCode}: {await error}{await output}");
            }

            return await output;
        }
    }
}
