using BenchmarkDotNet.Attributes;
using ChatPersistence.Sdk.Sqlite;
using Microsoft.Data.Sqlite;

namespace ChatPersistence.Sdk.Benchmarks;

/// <summary>Appending one message to a SQLite file: the store vs a raw Microsoft.Data.Sqlite INSERT of the same row.</summary>
public class SqliteAppendBenchmarks
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chatpersistence-bench-" + Guid.NewGuid().ToString("N"));
    private SqliteChatSessionStore _store = null!;
    private SqliteConnection _raw = null!;
    private Guid _session;

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        Directory.CreateDirectory(_folder);
        var path = Path.Combine(_folder, "chat.db");
        _store = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = path });
        _session = (await _store.GetOrCreateSessionAsync("ana", "append")).Id;
        _raw = new SqliteConnection($"Data Source={path}");
        await _raw.OpenAsync();
        await using var raw = _raw.CreateCommand();
        raw.CommandText = "create table if not exists raw_messages (seq integer primary key autoincrement, id blob not null unique, session_id blob not null, role text not null, content text not null, metadata text not null, created_at integer not null)";
        await raw.ExecuteNonQueryAsync();
    }

    private async Task CleanupAsync()
    {
        await _raw.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Benchmark(Baseline = true, Description = "raw INSERT (Microsoft.Data.Sqlite)")]
    public async Task<int> RawInsert()
    {
        await using var command = _raw.CreateCommand();
        command.CommandText = "insert into raw_messages (id, session_id, role, content, metadata, created_at) values ($id, $session, 'user', $content, '{}', $at)";
        command.Parameters.AddWithValue("$id", Guid.CreateVersion7().ToByteArray());
        command.Parameters.AddWithValue("$session", _session.ToByteArray());
        command.Parameters.AddWithValue("$content", "Hello, this is a typical user message of moderate length.");
        command.Parameters.AddWithValue("$at", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        return await command.ExecuteNonQueryAsync();
    }

    [Benchmark(Description = "SQLite store: append 1")]
    public Task<StoredChatMessage> Store() =>
        _store.AppendMessageAsync("ana", _session, NewChatMessage.User("Hello, this is a typical user message of moderate length."));
}
