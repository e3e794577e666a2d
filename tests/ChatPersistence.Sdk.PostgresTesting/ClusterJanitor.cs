using System.Diagnostics;
using System.Globalization;

namespace ChatPersistence.Sdk.PostgresTesting;

/// <summary>
/// Keeps the temp folder clean of throwaway clusters: every cluster folder names the process that owns it (an <c>owner</c>
/// file), gets a watchdog that stops its server and deletes it when that process is gone however it ended (a failed or
/// cancelled run, a killed test host), and clusters left by earlier runs are removed when a new one starts.
/// </summary>
internal static class ClusterJanitor
{
    /// <summary>The prefix of every throwaway cluster's folder in the temp folder.</summary>
    public const string FolderPrefix = "chatpersistence-pg-";

    /// <summary>
    /// The environment variable naming the test run (set by scripts/test.sh): written into each cluster's <c>owner</c> file,
    /// so the script can tell its own leftovers from a concurrent run's.
    /// </summary>
    public const string RunVariable = "CHATPERSISTENCE_TEST_RUN";

    private const string OwnerFile = "owner";

    // A folder without an owner file (made by an older version of this class) and without a live server is only removed
    // once nothing was written to it for this long, so a concurrent run's initdb is never cut short.
    private static readonly TimeSpan LegacyQuietPeriod = TimeSpan.FromMinutes(10);

    // Runs detached (setsid -f, or a background shell where setsid is missing: not a child of the test host, so a kill of
    // the host's process tree does not take it along; a Ctrl-C or hang-up of the terminal is ignored): waits while the
    // owner lives and the folder exists, then stops the server (if one runs) and deletes the folder.
    private const string WatchdogScript = """
        exec </dev/null >/dev/null 2>&1
        trap '' INT HUP
        owner=$1; root=$2; pg_ctl=$3; as_postgres=$4
        while kill -0 "$owner" 2>/dev/null && [ -d "$root" ]; do sleep 1; done
        [ -d "$root" ] || exit 0
        if [ -f "$root/data/postmaster.pid" ]; then
          if [ "$as_postgres" = 1 ]; then runuser -u postgres -- "$pg_ctl" -D "$root/data" stop -m immediate -w -t 60
          else "$pg_ctl" -D "$root/data" stop -m immediate -w -t 60; fi
        fi
        rm -rf "$root"
        """;

    private static int _swept;

    /// <summary>Whether the test process runs as root (then the server runs as the <c>postgres</c> OS user).</summary>
    public static bool AsRoot => Environment.UserName == "root";

    /// <summary>Writes the owner file of a new cluster folder: this process's id and the test run's name.</summary>
    /// <param name="root">The cluster folder.</param>
    public static void Claim(string root) =>
        File.WriteAllText(Path.Combine(root, OwnerFile), $"{Environment.ProcessId}\n{Environment.GetEnvironmentVariable(RunVariable)}\n");

    /// <summary>Starts the watchdog of <paramref name="root"/>: when the owner process is gone, the server stops and the folder is deleted.</summary>
    /// <param name="root">The cluster folder.</param>
    /// <param name="pgCtl">The path of <c>pg_ctl</c>.</param>
    /// <param name="ownerProcessId">The process whose end the watchdog waits for (this process by default).</param>
    public static void Watch(string root, string pgCtl, int? ownerProcessId = null)
    {
        var setsid = new[] { "/usr/bin/setsid", "/bin/setsid" }.FirstOrDefault(File.Exists);
        var start = new ProcessStartInfo(setsid ?? "sh")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = "/",
        };
        string[] detach = setsid is null ? ["-c", "sh -c \"$0\" \"$@\" &", WatchdogScript] : ["-f", "sh", "-c", WatchdogScript];
        string[] args = [.. detach, "chatpersistence-pg-watchdog", (ownerProcessId ?? Environment.ProcessId).ToString(CultureInfo.InvariantCulture), root, pgCtl, AsRoot ? "1" : "0"];
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the cluster watchdog.");
        process.StandardInput.Close();
        process.WaitForExit(); // returns at once; the watchdog lives on, detached
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"The cluster watchdog did not start ({process.ExitCode}): {process.StandardError.ReadToEnd()}");
        }
    }

    /// <summary>
    /// Once per process, in the temp folder: removes the cluster folders of earlier runs — those whose owner process is gone (their server is
    /// stopped first) and, from older versions without an owner file, those with no live server that were left untouched
    /// for ten minutes. A folder of a live process is never touched.
    /// </summary>
    /// <param name="pgCtl">The path of <c>pg_ctl</c>.</param>
    public static void RemoveStaleOnce(string pgCtl)
    {
        if (Interlocked.Exchange(ref _swept, 1) == 0)
        {
            RemoveStale(Path.GetTempPath(), pgCtl);
        }
    }

    /// <summary>Removes the stale cluster folders in <paramref name="folder"/> (see <see cref="RemoveStaleOnce"/>).</summary>
    /// <param name="folder">The folder holding cluster folders.</param>
    /// <param name="pgCtl">The path of <c>pg_ctl</c>.</param>
    public static void RemoveStale(string folder, string pgCtl)
    {
        foreach (var root in Directory.EnumerateDirectories(folder, FolderPrefix + "*"))
        {
            try
            {
                RemoveIfStale(root, pgCtl);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or FormatException)
            {
                // Another process's folder, or one being removed by its watchdog right now: leave it.
            }
        }
    }

    /// <summary>Stops the server of <paramref name="root"/> (if one runs) and deletes the folder. Best effort.</summary>
    /// <param name="root">The cluster folder.</param>
    /// <param name="pgCtl">The path of <c>pg_ctl</c>.</param>
    public static void StopAndDelete(string root, string pgCtl)
    {
        var data = Path.Combine(root, "data");
        if (File.Exists(Path.Combine(data, "postmaster.pid")))
        {
            string[] stop = [pgCtl, "-D", data, "stop", "-m", "immediate", "-w", "-t", "60"];
            _ = RunQuietly(AsRoot ? "runuser" : pgCtl, AsRoot ? ["-u", "postgres", "--", .. stop] : stop[1..]);
        }

        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
            // The watchdog deletes it once this process is gone.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static void RemoveIfStale(string root, string pgCtl)
    {
        var ownerFile = Path.Combine(root, OwnerFile);
        var postmaster = PostmasterIsAlive(Path.Combine(root, "data", "postmaster.pid"));
        if (File.Exists(ownerFile))
        {
            var owner = int.Parse(File.ReadLines(ownerFile).First(), CultureInfo.InvariantCulture);
            if (IsAlive(owner))
            {
                return;
            }
        }
        else if (postmaster || DateTime.UtcNow - LastWrite(root) < LegacyQuietPeriod)
        {
            return;
        }

        StopAndDelete(root, pgCtl);
    }

    private static DateTime LastWrite(string root)
    {
        var data = Path.Combine(root, "data");
        var last = Directory.GetLastWriteTimeUtc(root);
        return Directory.Exists(data) && Directory.GetLastWriteTimeUtc(data) > last ? Directory.GetLastWriteTimeUtc(data) : last;
    }

    private static bool PostmasterIsAlive(string pidFile)
    {
        if (!File.Exists(pidFile))
        {
            return false;
        }

        var first = File.ReadLines(pidFile).FirstOrDefault();
        return int.TryParse(first, NumberStyles.Integer, CultureInfo.InvariantCulture, out var pid) && IsAlive(pid);
    }

    // Running and not a zombie (Linux: /proc/<pid>/stat); elsewhere, whether the process exists.
    private static bool IsAlive(int pid)
    {
        var stat = $"/proc/{pid}/stat";
        if (Directory.Exists("/proc/self"))
        {
            try
            {
                var text = File.ReadAllText(stat);
                var state = text[(text.LastIndexOf(')') + 2)..].TrimStart();
                return state.Length > 0 && state[0] != 'Z' && state[0] != 'X';
            }
            catch (IOException)
            {
                return false;
            }
            catch (UnauthorizedAccessException)
            {
                return true;
            }
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static bool RunQuietly(string program, string[] args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = "/" };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        try
        {
            using var process = Process.Start(start);
            if (process is null)
            {
                return false;
            }

            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromMinutes(2)))
            {
                process.Kill();
                return false;
            }

            Task.WaitAll(output, error);
            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
