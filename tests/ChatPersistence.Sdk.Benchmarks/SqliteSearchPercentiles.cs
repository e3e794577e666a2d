using System.Diagnostics;
using ChatPersistence.Sdk.Sqlite;
using Microsoft.Data.Sqlite;

namespace ChatPersistence.Sdk.Benchmarks;

/// <summary>
/// Percentiles of single SQLite searches (<c>--search-percentiles</c>): p50 and p99 of the wall time and of the process CPU
/// time per search (after 50 warm-ups), for a word in every message ("topic", top 20 and third page), a rare word and two common words, over
/// one user's history of 100k and 1M messages (smoke: 1k), as <see cref="SqliteSearchBenchmarks"/> seeds it. Beside each,
/// the query the store ran before the common-word change (bm25 over the page's 1,000-match blocks), on the same file in the
/// same run. The files are seeded in a folder under the temp directory and deleted at the end, unless
/// <c>--search-cache</c> is given: then they are kept there between runs (1M messages take minutes to seed).
/// </summary>
public static class SqliteSearchPercentiles
{
    private const string BeforeSql =
        """
        WITH candidates AS (
            SELECT chat_messages_fts.rowid AS seq, bm25(chat_messages_fts) AS score
            FROM chat_messages_fts CROSS JOIN chat_messages m ON m.seq = chat_messages_fts.rowid
            WHERE chat_messages_fts MATCH $match AND m.user_id = $user
            ORDER BY chat_messages_fts.rowid DESC
            LIMIT $candidates OFFSET $skipped
        ),
        blocked AS (
            SELECT seq, score, ($skipped + row_number() OVER (ORDER BY seq DESC) - 1) / 1000 AS block FROM candidates
        ),
        page AS (
            SELECT seq, score, block FROM blocked ORDER BY block, score, seq DESC LIMIT $limit OFFSET $pageOffset
        )
        SELECT m.seq, m.id, m.session_id, m.role, m.content, m.metadata, m.created_at, s.workflow_id, page.score,
               snippet(chat_messages_fts, 0, char(57344), char(57345), '…', 32) AS marked
        FROM page
        CROSS JOIN chat_messages_fts ON chat_messages_fts.rowid = page.seq
        JOIN chat_messages m ON m.seq = page.seq
        JOIN chat_sessions s ON s.id = m.session_id
        WHERE chat_messages_fts MATCH $match
        ORDER BY page.block, page.score, page.seq DESC
        """;

    /// <summary>Seeds (or reuses) the files, runs the searches and prints a table; 0 on success.</summary>
    public static async Task<int> RunAsync(bool smoke, string? cacheFolder)
    {
        int[] sizes = smoke ? [1_000] : [100_000, 1_000_000];
        var rounds = smoke ? 3 : 300;
        var root = cacheFolder ?? Path.Combine(Path.GetTempPath(), "chatpersistence-bench-search-" + Guid.NewGuid().ToString("N"));
        Console.WriteLine($"SQLite search percentiles: {rounds} searches per row after 50 warm-ups, load average {LoadAverage()}, {Environment.ProcessorCount} cores");
        Console.WriteLine("| Messages | Search | before: wall p50 / p99 | before: CPU p50 / p99 | after: wall p50 / p99 | after: CPU p50 / p99 |");
        Console.WriteLine("|---|---|---|---|---|---|");
        try
        {
            foreach (var size in sizes)
            {
                var path = await SeedAsync(root, size);
                await using var store = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = path });
                var third = new ChatSearchRequest("topic") { PageSize = 20 };
                for (var page = 0; page < 2; page++)
                {
                    third = third with { Cursor = (await store.SearchAsync("ana", third)).NextCursor };
                }

                await using var raw = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly }.ToString());
                await raw.OpenAsync();
                (string Name, ChatSearchRequest Request, string Match, int Offset)[] cases =
                [
                    ("word in every message, top 20", new ChatSearchRequest("topic") { PageSize = 20 }, "\"topic\"", 0),
                    ("word in every message, third page", third, "\"topic\"", 40),
                    ("two words in every message, top 20", new ChatSearchRequest("topic message") { PageSize = 20 }, "\"topic\" \"message\"", 0),
                    ("rare word, top 20", new ChatSearchRequest("zanzibar") { PageSize = 20 }, "\"zanzibar\"", 0),
                ];
                foreach (var (name, request, match, offset) in cases)
                {
                    var before = await MeasureAsync(rounds, () => Task.FromResult(Before(raw, match, offset, 20)));
                    var after = await MeasureAsync(rounds, async () => (await store.SearchAsync("ana", request)).Items.Count);
                    Console.WriteLine($"| {size:N0} | {name} | {before.WallP50:F1} / {before.WallP99:F1} ms | {before.CpuP50:F1} / {before.CpuP99:F1} ms | " +
                        $"**{after.WallP50:F1} / {after.WallP99:F1} ms** | {after.CpuP50:F1} / {after.CpuP99:F1} ms |");
                }
            }

            Console.WriteLine($"load average at the end: {LoadAverage()}");
            return 0;
        }
        finally
        {
            if (cacheFolder is null)
            {
                SqliteConnection.ClearAllPools();
                Directory.Delete(root, recursive: true);
            }
        }
    }

    private static async Task<string> SeedAsync(string root, int size)
    {
        var folder = Path.Combine(root, size.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var path = Path.Combine(folder, "chat.db");
        if (File.Exists(Path.Combine(folder, "seeded")))
        {
            return path;
        }

        if (Directory.Exists(folder))
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }

        Directory.CreateDirectory(folder);
        var watch = Stopwatch.StartNew();
        await using (var seeding = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = path }))
        {
            await SqliteSearchBenchmarks.SeedAsync(seeding, path, "ana", size);
            await SqliteSearchBenchmarks.SeedAsync(seeding, path, "bob", 10_000);
        }

        SqliteConnection.ClearAllPools();
        await File.WriteAllTextAsync(Path.Combine(folder, "seeded"), string.Empty);
        Console.WriteLine($"seeded {size:N0} messages in {watch.Elapsed.TotalSeconds:F0} s");
        return path;
    }

    private static int Before(SqliteConnection connection, string match, int offset, int limit)
    {
        var firstBlock = offset / 1000;
        var lastBlock = (offset + limit - 1) / 1000;
        using var command = connection.CreateCommand();
        command.CommandText = BeforeSql;
        command.Parameters.AddWithValue("$match", match);
        command.Parameters.AddWithValue("$user", "ana");
        command.Parameters.AddWithValue("$candidates", (lastBlock - firstBlock + 1) * 1000);
        command.Parameters.AddWithValue("$skipped", firstBlock * 1000);
        command.Parameters.AddWithValue("$limit", limit);
        command.Parameters.AddWithValue("$pageOffset", offset - (firstBlock * 1000));
        using var reader = command.ExecuteReader();
        var rows = 0;
        while (reader.Read())
        {
            _ = reader.GetString(9);
            rows++;
        }

        return rows;
    }

    private static async Task<(double WallP50, double WallP99, double CpuP50, double CpuP99)> MeasureAsync(int rounds, Func<Task<int>> search)
    {
        // Enough warm-ups for tiered compilation to finish its background work, which the process CPU time would count.
        for (var i = 0; i < 50; i++)
        {
            _ = await search();
        }

        await Task.Delay(500);

        var wall = new double[rounds];
        var cpu = new double[rounds];
        using var process = Process.GetCurrentProcess();
        for (var i = 0; i < rounds; i++)
        {
            process.Refresh();
            var cpuStart = process.TotalProcessorTime;
            var start = Stopwatch.GetTimestamp();
            _ = await search();
            wall[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            process.Refresh();
            cpu[i] = (process.TotalProcessorTime - cpuStart).TotalMilliseconds;
        }

        Array.Sort(wall);
        Array.Sort(cpu);
        return (Percentile(wall, 0.50), Percentile(wall, 0.99), Percentile(cpu, 0.50), Percentile(cpu, 0.99));
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
}
