using BenchmarkDotNet.Attributes;
using ChatPersistence.Sdk.Postgres;
using Npgsql;

namespace ChatPersistence.Sdk.Benchmarks;

/// <summary>
/// Reading the newest 50 messages of a session of 1k, 100k and 1M messages on PostgreSQL: the raw keyset SELECT whose
/// values are read into objects (baseline: what a hand-written query hands its caller), the same SELECT with its rows only
/// counted, the store (chat_read_messages: ownership check + keyset page + "more beyond?"), OFFSET paging to the oldest
/// page, and the original plan's <c>order by created_at asc limit 50</c> (which returns the oldest 50 and cannot page back).
/// The store runs on the data source it builds from the connection string (as UsePostgres does), the raw queries on a plain
/// data source over the same string; <see cref="AutoPrepare"/> turns Npgsql's automatic preparation on or off in it.
/// </summary>
public class HistoryBenchmarks
{
    private NpgsqlDataSource _admin = null!;
    private PostgresChatSessionStore _store = null!;
    private Guid _user;
    private Guid _session;

    /// <summary>The session's size: 1k, 100k and 1M messages (1k only in smoke mode).</summary>
    [ParamsSource(nameof(Sizes))]
    public int Messages { get; set; }

    /// <summary>The sizes <see cref="Messages"/> takes.</summary>
    public static IEnumerable<int> Sizes => BenchMode.Smoke ? [1_000] : [1_000, 100_000, 1_000_000];

    /// <summary>Npgsql's <c>Max Auto Prepare</c> on the benchmark's data source (server-side prepared statements).</summary>
    [Params(false, true)]
    public bool AutoPrepare { get; set; }

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        (_, _, _admin) = await BenchEnvironment.DatabaseAsync(AutoPrepare);
        // As UsePostgres(connectionString) builds it: the store's own data source over the same connection string.
        _store = new PostgresChatSessionStore(_admin.ConnectionString);
        _user = await BenchEnvironment.UserAsync(_admin);
        _session = (await _store.GetOrCreateSessionAsync(_user.ToString(), "history")).Id;
        await BenchEnvironment.SeedAsync(_admin, _user, _session, Messages);
    }

    private async Task CleanupAsync()
    {
        await _store.DisposeAsync();
        await _admin.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "raw keyset SELECT newest 50, values read")]
    public async Task<int> RawKeyset()
    {
        await using var command = _admin.CreateCommand(
            "select id, session_id, seq, role, content, metadata, created_at, is_favorite from public.chat_messages where session_id = $1 order by seq desc limit 50");
        command.Parameters.AddWithValue(_session);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<RawMessage>(50);
        while (await reader.ReadAsync())
        {
            rows.Add(new RawMessage(reader.GetGuid(0), reader.GetGuid(1), reader.GetInt64(2), reader.GetString(3), reader.GetString(4),
                reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetBoolean(7)));
        }

        return rows.Count;
    }

    [Benchmark(Description = "raw keyset SELECT newest 50, rows counted")]
    public Task<int> RawKeysetCounted() => CountAsync("select id, session_id, seq, role, content, metadata, created_at, is_favorite from public.chat_messages where session_id = $1 order by seq desc limit 50", _session);

    [Benchmark(Description = "store: newest 50")]
    public async Task<int> Store() => (await _store.GetMessagesAsync(_user.ToString(), _session, new ChatHistoryRequest { PageSize = 50 })).Messages.Count;

    [Benchmark(Description = "OFFSET paging: oldest page")]
    public Task<int> OffsetOldest() => CountAsync($"select id, seq, role, content, metadata, created_at from public.chat_messages where session_id = $1 order by seq desc limit 50 offset {Math.Max(0, Messages - 50)}", _session);

    [Benchmark(Description = "original plan: order by created_at asc limit 50")]
    public Task<int> OriginalPlan() => CountAsync("select id, role, content, metadata, created_at from public.chat_messages where session_id = $1 order by created_at asc limit 50", _session);

    private async Task<int> CountAsync(string sql, Guid session)
    {
        await using var command = _admin.CreateCommand(sql);
        command.Parameters.AddWithValue(session);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = 0;
        while (await reader.ReadAsync())
        {
            rows++;
        }

        return rows;
    }
}
