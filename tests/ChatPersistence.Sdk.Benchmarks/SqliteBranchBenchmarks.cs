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
/// Run: <c>dotnet run -c Release --project tests/ChatPersistence.Sdk.Benchmarks -- --sqlite-branches</c> (with <c>--smoke</c>:
/// 1k messages, a few calls each; with <c>--branch-cache DIR</c> the seeded files are kept in DIR for the next run). The
/// files live in <c>/dev/shm</c> when present (no fsync: the CPU and I/O of the reads and writes themselves), and are deleted
/// at the end.
/// </remarks>
public static class SqliteBranchBenchmarks
{
    private const int PageSize = 50;

    /// <summary>Seeds, measures and prints the table; returns 0.</summary>
    /// <param name="smoke">1k messages only, a few calls per figure.</param>
    /// <param name="cacheFolder">Where to keep the seeded files between runs (null: a temporary folder, deleted at the end).</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(bool smoke, string? cacheFolder)
    {
        var root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        var folder = cacheFolder ?? Path.Combine(root, "chatpersistence-bench-branches-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var calls = smoke ? 5 : 600;
        try
        {
            Console.WriteLine();
            Console.WriteLine("SQLite branches: the linear and the branched session's calls alternate (one of each in turn), so both see the same");
            Console.WriteLine("machine; median (p95) in µs; ratio = the median of the per-pair ratios branched / linear.");
            Console.WriteLine();
            Console.WriteLine("| messages | newest page: linear | branched | ratio | deep page: linear | branched | ratio | deep / newest (branched) | switch | append: linear | branched | ratio |");
            Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
            int[] sizes = smoke ? [1_000] : [1_000, 100_000, 1_000_000];
            foreach (var size in sizes)
            {
                var path = Path.Combine(folder, $"chat-{size}.db");
                await using var store = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = path });
                var linear = await SeedAsync(store, "linear", size, 0);
                var branched = await SeedAsync(store, "branched", size, size >= 100_000 ? 1_000 : 100);
                var newest = await PairAsync(calls,
                    () => store.GetMessagesAsync("ana", linear.Session, new ChatHistoryRequest { PageSize = PageSize }),
                    () => store.GetMessagesAsync("ana", branched.Session, new ChatHistoryRequest { PageSize = PageSize }));
                var deep = await PairAsync(calls,
                    () => store.GetMessagesAsync("ana", linear.Session, new ChatHistoryRequest { PageSize = PageSize, Cursor = linear.DeepCursor }),
                    () => store.GetMessagesAsync("ana", branched.Session, new ChatHistoryRequest { PageSize = PageSize, Cursor = branched.DeepCursor }));
                var flip = 0;
                var switching = await PairAsync(calls,
                    () => Task.FromResult(0),
                    () => store.SwitchBranchAsync("ana", branched.Session, branched.Versions![flip++ % 2]));
                await store.SwitchBranchAsync("ana", branched.Session, branched.Newest);
                var append = await PairAsync(calls,
                    () => store.AppendMessageAsync("ana", linear.Session, NewChatMessage.User("one more question")),
                    () => store.AppendMessageAsync("ana", branched.Session, NewChatMessage.User("one more question")));
                Console.WriteLine(
                    $"| {size:N0} | {Show(newest.Linear)} | {Show(newest.Branched)} | {newest.Ratio:0.00}× | {Show(deep.Linear)} | {Show(deep.Branched)} | {deep.Ratio:0.00}× | " +
                    $"{deep.Branched.Median / newest.Branched.Median:0.00} | {Show(switching.Branched)} | {Show(append.Linear)} | {Show(append.Branched)} | {append.Ratio:0.00}× |");
                await store.DisposeAsync();
                SqliteConnection.ClearAllPools();
                if (cacheFolder is null)
                {
                    File.Delete(path);
                }
            }

            // The upgrade from schema 3 (replies) to 4 (branches) of a file holding one session of the largest size.
            var upgradeSize = sizes[^1];
            var (elapsed, before, after) = await UpgradeAsync(folder, upgradeSize);
            Console.WriteLine();
            Console.WriteLine($"Upgrade of a schema-3 file of {upgradeSize:N0} messages to schema 4: {elapsed:0.0} ms in one BEGIN IMMEDIATE transaction " +
                $"(the write lock held that long; WAL readers go on); file {before:N0} B before, {after:N0} B after (no table rewritten).");
            return 0;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            if (cacheFolder is null)
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }

    private static async Task<(double Milliseconds, long Before, long After)> UpgradeAsync(string folder, int size)
    {
        var path = Path.Combine(folder, $"upgrade-{size}.db");
        File.Delete(path);
        var connectionString = new SqliteConnectionStringBuilder { DataSource = path, Pooling = false, ForeignKeys = true }.ToString();
        await using (var connection = new SqliteConnection(connectionString))
        {
            await connection.OpenAsync();
            ChatPersistence.Sdk.Sqlite.Internal.SqliteSchema.Ensure(connection, 3);
            await using var seed = connection.CreateCommand();
            seed.CommandText =
                "BEGIN;" +
                "INSERT INTO chat_sessions (id, user_id, workflow_id, created_at, updated_at, message_count, last_message_at) VALUES ('00000000-0000-7000-8000-000000000001', 'ana', 'old', 1, 1, $size, 1);" +
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $size) " +
                "INSERT INTO chat_messages (id, session_id, user_id, role, content, created_at) " +
                "SELECT printf('%08x-0000-7000-8000-000000000000', i), '00000000-0000-7000-8000-000000000001', 'ana', CASE i % 2 WHEN 1 THEN 'user' ELSE 'assistant' END, 'message ' || i || ' about topic ' || (i % 97), i FROM n;" +
                "COMMIT;" +
                "PRAGMA wal_checkpoint(TRUNCATE);";
            seed.Parameters.AddWithValue("$size", size);
            await seed.ExecuteNonQueryAsync();
        }

        var before = new FileInfo(path).Length;
        double elapsed;
        await using (var connection = new SqliteConnection(connectionString))
        {
            await connection.OpenAsync();
            var started = Stopwatch.GetTimestamp();
            ChatPersistence.Sdk.Sqlite.Internal.SqliteSchema.Ensure(connection);
            elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            await using var checkpoint = connection.CreateCommand();
            checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
            await checkpoint.ExecuteNonQueryAsync();
        }

        var after = new FileInfo(path).Length;
        File.Delete(path);
        return (elapsed, before, after);
    }

    private static string Show(Timing timing) => $"{timing.Median:0} ({timing.P95:0})";

    // Alternates the two calls (after a warm-up of each), so that both see the same load.
    private static async Task<Pair> PairAsync<TL, TB>(int calls, Func<Task<TL>> linear, Func<Task<TB>> branched)
    {
        for (var i = 0; i < Math.Max(3, calls / 10); i++)
        {
            await linear();
            await branched();
        }

        var a = new double[calls];
        var b = new double[calls];
        var ratios = new double[calls];
        for (var i = 0; i < calls; i++)
        {
            var started = Stopwatch.GetTimestamp();
            await linear();
            a[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
            started = Stopwatch.GetTimestamp();
            await branched();
            b[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
            ratios[i] = b[i] / a[i];
        }

        Array.Sort(ratios);
        return new Pair(Summarise(a), Summarise(b), ratios[calls / 2]);
    }

    private static Timing Summarise(double[] samples)
    {
        Array.Sort(samples);
        return new Timing(samples[samples.Length / 2], samples[Math.Min(samples.Length - 1, (int)(samples.Length * 0.95))]);
    }

    /// <summary>
    /// A session of <paramref name="size"/> messages; with branch points, every size / points messages the last answer is
    /// regenerated (a sibling under its question) and the history continues under the new version.
    /// </summary>
    private static async Task<Seeded> SeedAsync(SqliteChatSessionStore store, string workflow, int size, int points)
    {
        var existing = await store.GetOrCreateSessionAsync("ana", workflow);
        var session = existing.Id;
        var sidecar = Path.ChangeExtension(store.DatabasePath, workflow + ".ids");
        if (existing.MessageCount >= size && File.Exists(sidecar))
        {
            var ids = (await File.ReadAllLinesAsync(sidecar)).Select(Guid.Parse).ToArray();
            return new Seeded(session, await DeepCursorAsync(store, session, size), ids.Length == 3 ? [ids[0], ids[1]] : null, ids[^1]);
        }

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

        await File.WriteAllLinesAsync(sidecar, (middle is { } pair ? new[] { pair.First, pair.Second, last!.Id } : [last!.Id]).Select(id => id.ToString()));
        return new Seeded(session, await DeepCursorAsync(store, session, size), middle is { } m ? [m.First, m.Second] : null, last.Id);
    }

    private static async Task<string> DeepCursorAsync(SqliteChatSessionStore store, Guid session, int size)
    {
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
        return deep.OlderCursor!;
    }

    private sealed record Seeded(Guid Session, string DeepCursor, Guid[]? Versions, Guid Newest);

    private sealed record Timing(double Median, double P95);

    private sealed record Pair(Timing Linear, Timing Branched, double Ratio);
}
