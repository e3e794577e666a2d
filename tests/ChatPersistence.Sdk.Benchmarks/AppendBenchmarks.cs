using BenchmarkDotNet.Attributes;
using ChatPersistence.Sdk.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace ChatPersistence.Sdk.Benchmarks;

/// <summary>
/// Appending on PostgreSQL over loopback: the raw INSERT of the same row is the floor (baseline); the PostgreSQL store is one
/// round trip to chat_append_messages (which also checks the caller and the session, is idempotent by id, keeps the order
/// and updates the session's counters; the change feed's trigger logs the append), on the data source the store builds
/// from the connection string as UsePostgres does; the raw INSERT runs on a plain data source over the same connection
/// string. <see cref="AutoPrepare"/> turns Npgsql's automatic preparation on or off in that connection string.
/// </summary>
public class AppendBenchmarks
{
    private NpgsqlDataSource _admin = null!;
    private PostgresChatSessionStore _postgres = null!;
    private Guid _user;
    private Guid _session;
    private Guid _batchSession;
    private List<NewChatMessage> _batch = null!;

    /// <summary>Npgsql's <c>Max Auto Prepare</c> on the benchmark's data source (server-side prepared statements).</summary>
    [Params(false, true)]
    public bool AutoPrepare { get; set; }

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup()
    {
        _postgres.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _admin.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    private async Task SetupAsync()
    {
        (_, _, _admin) = await BenchEnvironment.DatabaseAsync(AutoPrepare);
        // As UsePostgres(connectionString) builds it: the store's own data source over the same connection string.
        _postgres = new PostgresChatSessionStore(_admin.ConnectionString);
        _user = await BenchEnvironment.UserAsync(_admin);
        _session = (await _postgres.GetOrCreateSessionAsync(_user.ToString(), "append")).Id;
        _batchSession = (await _postgres.GetOrCreateSessionAsync(_user.ToString(), "batch")).Id;
        _batch = Enumerable.Range(0, 100).Select(i => NewChatMessage.User($"batch message {i} with typical length text")).ToList();
    }

    [Benchmark(Baseline = true, Description = "raw INSERT (Npgsql)")]
    public async Task<int> RawInsert()
    {
        await using var command = _admin.CreateCommand(
            "insert into public.chat_messages (id, session_id, user_id, role, content, metadata) values ($1, $2, $3, 'user', $4, '{}'::jsonb)");
        command.Parameters.AddWithValue(Guid.CreateVersion7());
        command.Parameters.AddWithValue(_session);
        command.Parameters.AddWithValue(_user);
        command.Parameters.AddWithValue(NpgsqlDbType.Text, "Hello, this is a typical user message of moderate length.");
        return await command.ExecuteNonQueryAsync();
    }

    [Benchmark(Description = "PostgreSQL store: append 1")]
    public Task<StoredChatMessage> PostgresStore() =>
        _postgres.AppendMessageAsync(_user.ToString(), _session, NewChatMessage.User("Hello, this is a typical user message of moderate length."));

    [Benchmark(Description = "PostgreSQL store: append batch of 100")]
    public Task<IReadOnlyList<StoredChatMessage>> PostgresStoreBatch() =>
        _postgres.AppendMessagesAsync(_user.ToString(), _batchSession, _batch.Select(m => m with { Id = Guid.CreateVersion7() }).ToList());
}
