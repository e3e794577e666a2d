using BenchmarkDotNet.Attributes;
using ChatPersistence.Sdk.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace ChatPersistence.Sdk.Benchmarks;

/// <summary>
/// Issue 27: appending one message through the PostgreSQL store (schema 4) to a branched session — continuing its active
/// path, the common case after an edit — next to the same append to a session that never branched (the baseline: the
/// statement of every host that never branches). The branched session is seeded by <see cref="BranchSeed"/> (10,000
/// messages, 10 forks; 1,000 and one fork in smoke mode) and checked through the store. The raw INSERT into a linear session
/// is a reference row, as in <see cref="AppendBenchmarks"/>.
/// </summary>
public class BranchAppendBenchmarks
{
    private NpgsqlDataSource _admin = null!;
    private PostgresChatSessionStore _store = null!;
    private Guid _user;
    private Guid _linear;
    private Guid _raw;
    private Guid _branched;

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
        var size = BenchMode.Smoke ? 1_000 : 10_000;
        (_, _, _admin) = await BenchEnvironment.DatabaseAsync();
        _store = new PostgresChatSessionStore(_admin.ConnectionString);
        _user = await BenchEnvironment.UserAsync(_admin);
        _linear = (await _store.GetOrCreateSessionAsync(_user.ToString(), "linear")).Id;
        await BenchEnvironment.SeedAsync(_admin, _user, _linear, size);
        _raw = (await _store.GetOrCreateSessionAsync(_user.ToString(), "raw")).Id;
        var branched = await BranchSeed.SeedAsync(_admin, _user, (await _store.GetOrCreateSessionAsync(_user.ToString(), "branched")).Id, size);
        await BranchSeed.ValidateAsync(_store, _user, branched);
        _branched = branched.SessionId;
    }

    [Benchmark(Baseline = true, Description = "store: append 1, linear session")]
    public Task<StoredChatMessage> Linear() =>
        _store.AppendMessageAsync(_user.ToString(), _linear, NewChatMessage.User("Hello, this is a typical user message of moderate length."));

    [Benchmark(Description = "store: append 1 continuing the active path, branched session")]
    public Task<StoredChatMessage> Branched() =>
        _store.AppendMessageAsync(_user.ToString(), _branched, NewChatMessage.User("Hello, this is a typical user message of moderate length."));

    [Benchmark(Description = "reference: raw INSERT (Npgsql), linear session")]
    public async Task<int> RawInsert()
    {
        await using var command = _admin.CreateCommand(
            "insert into public.chat_messages (id, session_id, user_id, role, content, metadata) values ($1, $2, $3, 'user', $4, '{}'::jsonb)");
        command.Parameters.AddWithValue(Guid.CreateVersion7());
        command.Parameters.AddWithValue(_raw);
        command.Parameters.AddWithValue(_user);
        command.Parameters.AddWithValue(NpgsqlDbType.Text, "Hello, this is a typical user message of moderate length.");
        return await command.ExecuteNonQueryAsync();
    }
}
