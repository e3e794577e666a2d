using System.Diagnostics;
using System.Globalization;
using ChatPersistence.Sdk.PostgresTesting;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.Postgres.Tests;

/// <summary>
/// Throwaway clusters leave nothing behind: a disposed one is stopped and deleted, one whose process dies is stopped and
/// deleted by its watchdog, and folders left by earlier runs are removed when a cluster starts.
/// </summary>
public sealed class ClusterCleanupTests
{
    // A hang bound, not a timing: the watchdog looks once a second.
    private static readonly TimeSpan HangBound = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_disposed_private_cluster_is_stopped_and_its_folder_deleted()
    {
        var cluster = await PostgresCluster.StartPrivateAsync();
        var root = Path.GetDirectoryName(cluster.DataDirectory)!;
        var postmaster = PostmasterId(cluster);
        IsRunning(postmaster).Should().BeTrue();

        await cluster.DisposeAsync();

        Directory.Exists(root).Should().BeFalse();
        await UntilAsync(() => !IsRunning(postmaster));
    }

    [Fact]
    public async Task When_the_owning_process_dies_the_watchdog_stops_the_server_and_deletes_the_folder()
    {
        await using var cluster = await PostgresCluster.StartPrivateAsync();
        var root = Path.GetDirectoryName(cluster.DataDirectory)!;
        var postmaster = PostmasterId(cluster);

        // A second watchdog on the same cluster, owned by a process the test kills as a test host may be killed.
        using var owner = Process.Start("sleep", "600")!;
        ClusterJanitor.Watch(root, Path.Combine(cluster.BinDirectory!, "pg_ctl"), owner.Id);
        await Task.Delay(1500);
        Directory.Exists(root).Should().BeTrue("the watchdog waits while its owner lives");
        owner.Kill();
        await owner.WaitForExitAsync();

        await UntilAsync(() => !Directory.Exists(root) && !IsRunning(postmaster));
    }

    [Fact]
    public void Stale_cluster_folders_are_removed_and_live_ones_kept()
    {
        var folder = Path.Combine(Path.GetTempPath(), "chatpersistence-janitor-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            using var gone = Process.Start("true")!;
            gone.WaitForExit();
            var deadOwner = Cluster(folder, "dead-owner", owner: gone.Id, postmaster: gone.Id);
            var liveOwner = Cluster(folder, "live-owner", owner: Environment.ProcessId, postmaster: gone.Id);
            var legacyOld = Cluster(folder, "legacy-old", owner: null, postmaster: null, age: TimeSpan.FromHours(1));
            var legacyOldDeadServer = Cluster(folder, "legacy-old-dead-server", owner: null, postmaster: gone.Id, age: TimeSpan.FromHours(1));
            var legacyFresh = Cluster(folder, "legacy-fresh", owner: null, postmaster: null);
            var legacyLiveServer = Cluster(folder, "legacy-live-server", owner: null, postmaster: Environment.ProcessId, age: TimeSpan.FromHours(1));

            ClusterJanitor.RemoveStale(folder, "/bin/false");

            Directory.Exists(deadOwner).Should().BeFalse("its owner process is gone");
            Directory.Exists(legacyOld).Should().BeFalse("no owner file, no server, untouched for an hour");
            Directory.Exists(legacyOldDeadServer).Should().BeFalse("its server is gone and it was untouched for an hour");
            Directory.Exists(liveOwner).Should().BeTrue("its owner is running");
            Directory.Exists(legacyFresh).Should().BeTrue("it may be a concurrent run's cluster being created");
            Directory.Exists(legacyLiveServer).Should().BeTrue("its server is running");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string Cluster(string folder, string name, int? owner, int? postmaster, TimeSpan? age = null)
    {
        var root = Path.Combine(folder, ClusterJanitor.FolderPrefix + name);
        var data = Path.Combine(root, "data");
        Directory.CreateDirectory(data);
        if (owner is { } o)
        {
            File.WriteAllText(Path.Combine(root, "owner"), $"{o}\n\n");
        }

        if (postmaster is { } p)
        {
            File.WriteAllText(Path.Combine(data, "postmaster.pid"), $"{p}\n{data}\n");
        }

        if (age is { } a)
        {
            Directory.SetLastWriteTimeUtc(data, DateTime.UtcNow - a);
            Directory.SetLastWriteTimeUtc(root, DateTime.UtcNow - a);
        }

        return root;
    }

    private static int PostmasterId(PostgresCluster cluster) =>
        int.Parse(File.ReadLines(Path.Combine(cluster.DataDirectory!, "postmaster.pid")).First(), CultureInfo.InvariantCulture);

    private static bool IsRunning(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static async Task UntilAsync(Func<bool> condition)
    {
        var since = Stopwatch.StartNew();
        while (!condition())
        {
            since.Elapsed.Should().BeLessThan(HangBound);
            await Task.Delay(100);
        }
    }
}
