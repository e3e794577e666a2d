using BenchmarkDotNet.Attributes;
using ChatPersistence.Sdk.Postgres;
using Npgsql;

namespace ChatPersistence.Sdk.Benchmarks;

/// <summary>
/// Issue 27: pages along the active path of a branched session next to today's linear page, through the PostgreSQL store
/// (schema 4), at 1k, 100k and 1M messages. The linear session (one run, as every session that never branched) is the
/// baseline; the branched one has one branch point per 1,000 messages laid out as a chain of edits, so its active path runs
/// through every run (<see cref="BranchSeed"/>; the seed is checked through the store before measuring). The deep page is the
/// page of 50 older than the middle of the 1M path. The raw keyset SELECT (values read, as in
/// <see cref="HistoryBenchmarks"/>) is a reference row for comparison with the earlier figures.
/// </summary>
public class BranchHistoryBenchmarks
{
    private NpgsqlDataSource _admin = null!;
    private PostgresChatSessionStore _store = null!;
    private Guid _user;
    private Guid _linear;
    private BranchedSession _branched = null!;
    private string _middle = null!;

    /// <summary>The sessions' size: 1k, 100k and 1M messages (1k only in smoke mode).</summary>
    [ParamsSource(nameof(Sizes))]
    public int Messages { get; set; }

    /// <summary>The sizes <see cref="Messages"/> takes.</summary>
    public static IEnumerable<int> Sizes => BenchMode.Smoke ? [1_000] : [1_000, 100_000, 1_000_000];

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _admin.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private async Task SetupAsync()
    {
        (_, _, _admin) = await BenchEnvironment.DatabaseAsync();
        _store = new PostgresChatSessionStore(_admin.ConnectionString);
        _user = await BenchEnvironment.UserAsync(_admin);
        _linear = (await _store.GetOrCreateSessionAsync(_user.ToString(), "linear")).Id;
        await BenchEnvironment.SeedAsync(_admin, _user, _linear, Messages);
        var branched = (await _store.GetOrCreateSessionAsync(_user.ToString(), "branched")).Id;
        _branched = await BranchSeed.SeedAsync(_admin, _user, branched, Messages);
        _middle = await BranchSeed.ValidateAsync(_store, _user, _branched);
    }

    [Benchmark(Baseline = true, Description = "store: newest 50, linear session")]
    public async Task<int> Linear() => (await _store.GetMessagesAsync(_user.ToString(), _linear, new ChatHistoryRequest { PageSize = 50 })).Messages.Count;

    [Benchmark(Description = "store: newest 50 of the active path, branched session")]
    public async Task<int> Branched() => (await _store.GetMessagesAsync(_user.ToString(), _branched.SessionId, new ChatHistoryRequest { PageSize = 50 })).Messages.Count;

    [Benchmark(Description = "store: 50 older than the middle of the active path, branched session")]
    public async Task<int> BranchedDeep() =>
        (await _store.GetMessagesAsync(_user.ToString(), _branched.SessionId, new ChatHistoryRequest { PageSize = 50, Cursor = _middle })).Messages.Count;

    [Benchmark(Description = "reference: raw keyset SELECT newest 50, values read, linear session")]
    public async Task<int> RawKeyset()
    {
        await using var command = _admin.CreateCommand(
            "select id, session_id, seq, role, content, metadata, created_at, is_favorite from public.chat_messages where session_id = $1 order by seq desc limit 50");
        command.Parameters.AddWithValue(_linear);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<RawMessage>(50);
        while (await reader.ReadAsync())
        {
            rows.Add(new RawMessage(reader.GetGuid(0), reader.GetGuid(1), reader.GetInt64(2), reader.GetString(3), reader.GetString(4),
                reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetBoolean(7)));
        }

        return rows.Count;
    }
}
