using BenchmarkDotNet.Attributes;
using ChatPersistence.Sdk.Sqlite;
using Microsoft.Data.Sqlite;

namespace ChatPersistence.Sdk.Benchmarks;

/// <summary>
/// Appending one message to a SQLite file (WAL, the same file for every row). The baseline is a raw Microsoft.Data.Sqlite
/// INSERT of the same row into the store's own <c>chat_messages</c> table — same columns, same indexes, same full-text
/// trigger, foreign keys on, a new row each call in the same session — exactly as the PostgreSQL baseline inserts into the
/// real chat_messages table. Two reference rows bracket it: the same INSERT through one prepared, reused command (the
/// floor of Microsoft.Data.Sqlite), and the old baseline, a bare table with no index or trigger (not like-for-like work).
/// The store's append also checks the session's owner, is idempotent by message id and bumps the session's counters.
/// <para>
/// <c>Storage = disk</c> is the temp folder (each commit waits for fsync, which dominates); <c>Storage = tmpfs</c> puts the
/// file in <c>/dev/shm</c> (Linux only), where fsync costs nothing, so the ratio shows the CPU work of each path.
/// </para>
/// </summary>
public class SqliteAppendBenchmarks
{
    private const string Content = "Hello, this is a typical user message of moderate length.";
    private const string Insert =
        "insert into chat_messages (id, session_id, user_id, role, content, metadata, created_at) values ($id, $session, $user, 'user', $content, '{}', $at)";

    private string _folder = null!;
    private SqliteChatSessionStore _store = null!;
    private SqliteConnection _raw = null!;
    private SqliteCommand _prepared = null!;
    private Guid _session;
    private string _sessionKey = null!;

    /// <summary>Where the file lives: <c>disk</c> (the temp folder) or <c>tmpfs</c> (<c>/dev/shm</c>, when present).</summary>
    [ParamsSource(nameof(Storages))]
    public string Storage { get; set; } = "disk";

    public static IEnumerable<string> Storages => Directory.Exists("/dev/shm") ? ["disk", "tmpfs"] : ["disk"];

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        var root = Storage == "tmpfs" ? "/dev/shm" : Path.GetTempPath();
        _folder = Path.Combine(root, "chatpersistence-bench-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_folder);
        var path = Path.Combine(_folder, "chat.db");
        _store = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = path });
        _session = (await _store.GetOrCreateSessionAsync("ana", "append")).Id;
        _sessionKey = _session.ToString();
        _raw = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, ForeignKeys = true, Pooling = false }.ToString());
        await _raw.OpenAsync();
        await using var bare = _raw.CreateCommand();
        bare.CommandText = "create table if not exists raw_messages (seq integer primary key autoincrement, id blob not null unique, session_id blob not null, role text not null, content text not null, metadata text not null, created_at integer not null)";
        await bare.ExecuteNonQueryAsync();
        _prepared = _raw.CreateCommand();
        _prepared.CommandText = Insert;
        _prepared.Parameters.Add("$id", SqliteType.Text);
        _prepared.Parameters.AddWithValue("$session", _sessionKey);
        _prepared.Parameters.AddWithValue("$user", "ana");
        _prepared.Parameters.AddWithValue("$content", Content);
        _prepared.Parameters.Add("$at", SqliteType.Integer);
        _prepared.Prepare();
    }

    private async Task CleanupAsync()
    {
        await _prepared.DisposeAsync();
        await _raw.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private static long NowMicroseconds() => (DateTimeOffset.UtcNow - DateTimeOffset.UnixEpoch).Ticks / 10;

    [Benchmark(Baseline = true, Description = "raw INSERT into chat_messages (same table, indexes, FTS trigger)")]
    public async Task<int> RawInsert()
    {
        await using var command = _raw.CreateCommand();
        command.CommandText = Insert;
        command.Parameters.AddWithValue("$id", Guid.CreateVersion7().ToString());
        command.Parameters.AddWithValue("$session", _sessionKey);
        command.Parameters.AddWithValue("$user", "ana");
        command.Parameters.AddWithValue("$content", Content);
        command.Parameters.AddWithValue("$at", NowMicroseconds());
        return await command.ExecuteNonQueryAsync();
    }

    [Benchmark(Description = "reference: same raw INSERT, one prepared command reused")]
    public int RawInsertPrepared()
    {
        _prepared.Parameters[0].Value = Guid.CreateVersion7().ToString();
        _prepared.Parameters[4].Value = NowMicroseconds();
        return _prepared.ExecuteNonQuery();
    }

    [Benchmark(Description = "reference (old baseline, unlike work): INSERT into a bare table, no index/trigger")]
    public async Task<int> RawInsertBareTable()
    {
        await using var command = _raw.CreateCommand();
        command.CommandText = "insert into raw_messages (id, session_id, role, content, metadata, created_at) values ($id, $session, 'user', $content, '{}', $at)";
        command.Parameters.AddWithValue("$id", Guid.CreateVersion7().ToByteArray());
        command.Parameters.AddWithValue("$session", _session.ToByteArray());
        command.Parameters.AddWithValue("$content", Content);
        command.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        return await command.ExecuteNonQueryAsync();
    }

    [Benchmark(Description = "SQLite store: append 1")]
    public Task<StoredChatMessage> Store() =>
        _store.AppendMessageAsync("ana", _session, NewChatMessage.User(Content));
}
