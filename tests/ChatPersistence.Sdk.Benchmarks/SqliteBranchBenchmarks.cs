using System.Diagnostics;
using ChatPersistence.Sdk.Sqlite;
using Microsoft.Data.Sqlite;

namespace ChatPersistence.Sdk.Benchmarks;

/// <summary>
/// Branches in the SQLite store (issue 27), side by side in one run: for sessions of 1k, 100k and 1M messages, a linear
/// session and a branched one of the same size (1,000 branch points on its active path — 100 at 1k — each a regenerated
/// answer that the path then continues from, so the active path is made of 1,000 runs), the newest page of 50 along the
/// active path, a page of 50 in the middle of the path (a cursor half-way), a switch between two versions in the middle of
/// the session, and one append. Times are medians (and p95) of repeated calls through the store, after a warm-up.
/// </summary>
/// <remarks>
/// Run: <c>dotnet run -c Release --project tests/ChatPersistence.Sdk.Benchmarks -- --branches</c> (with <c>--smoke</c>:
/// 1k messages, a few calls each). The files live in <c>/dev/shm</c> when present (no fsync: the CPU and I/O of the reads
/// and writes themselves), and are deleted at the end.
/// </remarks>
public static class SqliteBranchBenchmarks
{
    private const int PageSize = 50;

    /// <summary>Seeds, measures and prints the table; returns 0.</summary>
    /// <param name="smoke">1k messages only, a few calls per figure.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(bool smoke)
    {
        var root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        var folder = Path.Combine(root, "chatpersistence-bench-branches-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var calls = smoke ? 5 : 400;
        try
        {
            Console.WriteLine();
            Console.WriteLine("SQLite branches: newest page, deep page (cursor half-way), switch, append; median (p95) of calls through the store.");
            Console.WriteLine();
            Console.WriteLine("| messages | session | newest page | deep page | deep / newest | switch | append |");
            Console.WriteLine("|---|---|---|---|---|---|---|");
            int[] sizes = smoke ? [1_000] : [1_000, 100_000, 1_000_000];
            foreach (var size in sizes)
            {
                var path = Path.Combine(folder, $"chat-{size}.db");
                await using var store = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = path });
                var linear = await SeedAsync(store, "linear", size, 0);
                var branched = await SeedAsync(store, "branched", size, size >= 100_000 ? 1_000 : 100);
                Figures? linearFigures = null;
                foreach (var (name, seeded) in new[] { ("linear", linear), ("branched", branched) })
                {
                    var figures = await MeasureAsync(store, seeded, calls);
                    linearFigures ??= figures;
                    Console.WriteLine(
                        $"| {size:N0} | {name} | {Show(figures.Newest)}{Ratio(figures.Newest, linearFigures.Newest)} | {Show(figures.Deep)} | {figures.Deep.Median / figures.Newest.Median:0.00} | " +
                        $"{(seeded.Versions is null ? "n/a (one path)" : Show(figures.Switch))} | {Show(figures.Append)}{Ratio(figures.Append, linearFigures.Append)} |");
                }

                await store.DisposeAsync();
                SqliteConnection.ClearAllPools();
                File.Delete(path);
            }

            return 0;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string Show(Timing timing) => $"{timing.Median:0.0} µs ({timing.P95:0.0})";

    private static string Ratio(Timing value, Timing baseline) => ReferenceEquals(value, baseline) ? string.Empty : $", {value.Median / baseline.Median:0.00}×";

    private static async Task<Figures> MeasureAsync(SqliteChatSessionStore store, Seeded seeded, int calls)
    {
        var newest = await TimeAsync(calls, () => store.GetMessagesAsync("ana", seeded.Session, new ChatHistoryRequest { PageSize = PageSize }));
        var deep = await TimeAsync(calls, () => store.GetMessagesAsync("ana", seeded.Session, new ChatHistoryRequest { PageSize = PageSize, Cursor = seeded.DeepCursor }));
        var flip = 0;
        var switching = seeded.Versions is { } versions
            ? await TimeAsync(calls, () => store.SwitchBranchAsync("ana", seeded.Session, versions[flip++ % 2]))
            : new Timing(0, 0);
        if (seeded.Versions is not null)
        {
            // Back to the newest version's path (the page figures above were taken on it).
            await store.SwitchBranchAsync("ana", seeded.Session, seeded.Newest);
        }

        var append = await TimeAsync(calls, () => store.AppendMessageAsync("ana", seeded.Session, NewChatMessage.User("one more question")));
        return new Figures(newest, deep, switching, append);
    }

    private static async Task<Timing> TimeAsync<T>(int calls, Func<Task<T>> call)
    {
        for (var i = 0; i < Math.Max(3, calls / 10); i++)
        {
            await call();
        }

        var samples = new double[calls];
        for (var i = 0; i < calls; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await call();
            samples[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        }

        Array.Sort(samples);
        return new Timing(samples[calls / 2], samples[Math.Min(calls - 1, (int)(calls * 0.95))]);
    }

    /// <summary>
    /// A session of <paramref name="size"/> messages; with branch points, every size / points messages the last answer is
    /// regenerated (a sibling under its question) and the history continues under the new version.
    /// </summary>
    private static async Task<Seeded> SeedAsync(SqliteChatSessionStore store, string workflow, int size, int points)
    {
        var session = (await store.GetOrCreateSessionAsync("ana", workflow)).Id;
        var block = points == 0 ? size : size / points;
        var written = 0;
        StoredChatMessage? last = null;
        (Guid First, Guid Second)? middle = null;
        while (written < size)
        {
            // One block: questions and answers, in batches, then (branched) a second version of the block's last answer.
            var end = Math.Min(size, written + block - (points == 0 ? 0 : 1));
            while (written < end)
            {
                var count = Math.Min(ChatPersistenceLimits.MaxBatchSize, end - written);
                var batch = Enumerable.Range(written, count)
                    .Select(i => i % 2 == 0 ? NewChatMessage.User($"question {i} about topic {i % 97}") : NewChatMessage.Assistant($"answer {i} on topic {i % 89}"))
                    .ToArray();
                var stored = await store.AppendMessagesAsync("ana", session, batch);
                last = stored[^1];
                written += count;
            }

            if (points > 0 && written < size)
            {
                var regenerated = await store.AppendMessageAsync("ana", session, NewChatMessage.Assistant($"answer {written} again") with { ParentId = last!.ParentId });
                if (middle is null && written >= size / 2)
                {
                    middle = (last.Id, regenerated.Id);
                }

                last = regenerated;
                written++;
            }
        }

        // A cursor half-way along the active path: page from the oldest end in the largest pages, stop at the middle.
        var request = new ChatHistoryRequest { Start = ChatHistoryStart.Oldest, PageSize = ChatPersistenceLimits.MaxPageSize };
        var read = 0;
        string? cursor = null;
        while (read < size / 2)
        {
            var page = await store.GetMessagesAsync("ana", session, request);
            read += page.Messages.Count;
            cursor = page.NewerCursor;
            if (!page.HasNewer)
            {
                break;
            }

            request = request with { Cursor = cursor };
        }

        // The cursor reads towards newer from the middle; a deep page reads towards older from it: build the older one.
        var deep = await store.GetMessagesAsync("ana", session, new ChatHistoryRequest { PageSize = 1, Cursor = cursor });
        return new Seeded(session, deep.OlderCursor!, middle is { } m ? [m.First, m.Second] : null, last!.Id);
    }

    private sealed record Seeded(Guid Session, string DeepCursor, Guid[]? Versions, Guid Newest);

    private sealed record Timing(double Median, double P95);

    private sealed record Figures(Timing Newest, Timing Deep, Timing Switch, Timing Append);
}
