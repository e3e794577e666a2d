using BenchmarkDotNet.Attributes;
using ChatPersistence.Sdk.Sqlite;
using Microsoft.Data.Sqlite;

namespace ChatPersistence.Sdk.Benchmarks;

/// <summary>
/// Full-text search over one user's SQLite history of 100k and 1M messages in ten sessions (smoke: 1k): a word in every
/// message (the page asked for bounds the work, not the number of matches), a rare word, and the third page of the
/// common word. Another user's 10k messages with the same words share the file. Each size is seeded once per process (1M
/// messages take minutes) and its folder deleted when the process exits.
/// </summary>
public class SqliteSearchBenchmarks
{
    private static readonly Dictionary<int, string> Seeded = [];
    private SqliteChatSessionStore _store = null!;
    private string? _thirdPageCursor;

    /// <summary>The number of the user's messages.</summary>
    [ParamsSource(nameof(Sizes))]
    public int Messages { get; set; }

    public static IEnumerable<int> Sizes => BenchMode.Smoke ? [1_000] : [100_000, 1_000_000];

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => _store.Dispose();

    private async Task SetupAsync()
    {
        if (!Seeded.TryGetValue(Messages, out var folder))
        {
            folder = Path.Combine(Path.GetTempPath(), "chatpersistence-bench-search-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(folder);
            if (Seeded.Count == 0)
            {
                AppDomain.CurrentDomain.ProcessExit += (_, _) => DeleteSeeded();
            }

            Seeded[Messages] = folder;
            await using var seeding = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = Path.Combine(folder, "chat.db") });
            await SeedAsync(seeding, Path.Combine(folder, "chat.db"), "ana", Messages);
            await SeedAsync(seeding, Path.Combine(folder, "chat.db"), "bob", 10_000);
        }

        _store = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = Path.Combine(folder, "chat.db") });
        var request = new ChatSearchRequest("topic") { PageSize = 20 };
        for (var page = 0; page < 2; page++)
        {
            request = request with { Cursor = (await _store.SearchAsync("ana", request)).NextCursor };
        }

        _thirdPageCursor = request.Cursor;
    }

    private static void DeleteSeeded()
    {
        SqliteConnection.ClearAllPools();
        foreach (var folder in Seeded.Values)
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // Best effort at process exit.
            }
        }
    }

    /// <summary>
    /// Seeds <paramref name="count"/> messages of <paramref name="user"/> over ten sessions, every one holding "topic" (a few
    /// times, at varying lengths, so that ranks differ) and one in 20,000 "zanzibar", in one transaction through the
    /// store's own table (its triggers index them).
    /// </summary>
    internal static async Task SeedAsync(SqliteChatSessionStore store, string path, string user, int count)
    {
        var sessions = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            sessions.Add((await store.GetOrCreateSessionAsync(user, $"workflow-{i}")).Id.ToString());
        }

        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using var transaction = connection.BeginTransaction();
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = "insert into chat_messages (id, session_id, user_id, role, content, metadata, created_at) values ($id, $session, $user, 'user', $content, '{}', $at)";
        var id = insert.Parameters.Add("$id", SqliteType.Text);
        var session = insert.Parameters.Add("$session", SqliteType.Text);
        insert.Parameters.AddWithValue("$user", user);
        var content = insert.Parameters.Add("$content", SqliteType.Text);
        var at = insert.Parameters.Add("$at", SqliteType.Integer);
        insert.Prepare();
        var start = (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / 10 - count;
        for (var i = 0; i < count; i++)
        {
            id.Value = Guid.NewGuid().ToString();
            session.Value = sessions[i % sessions.Count];
            content.Value = (i % 20_000 == 7 ? "rare zanzibar note, " : string.Empty) +
                $"message number {i} on the topic{(i % 3 == 0 ? ", topic again" : string.Empty)} with some words of padding{new string('.', i % 50)}";
            at.Value = start + i;
            await insert.ExecuteNonQueryAsync();
        }

        await transaction.CommitAsync();
    }

    [Benchmark(Description = "SQLite search, word in every message, top 20")]
    public async Task<int> SearchCommon() => (await _store.SearchAsync("ana", new ChatSearchRequest("topic") { PageSize = 20 })).Items.Count;

    [Benchmark(Description = "SQLite search, word in every message, third page of 20")]
    public async Task<int> SearchCommonThirdPage() =>
        (await _store.SearchAsync("ana", new ChatSearchRequest("topic") { PageSize = 20, Cursor = _thirdPageCursor })).Items.Count;

    [Benchmark(Description = "SQLite search, rare word")]
    public async Task<int> SearchRare() => (await _store.SearchAsync("ana", new ChatSearchRequest("zanzibar") { PageSize = 20 })).Items.Count;
}
