using ChatPersistence.Sdk.Postgres;
using ChatPersistence.Sdk.PostgresTesting;
using ChatPersistence.Sdk.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ChatPersistence.Sdk.Mcp.Tests;

public sealed class SqliteBackend : StoreBackend
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chat-mcp-tests-" + Guid.NewGuid().ToString("N"));
    private readonly SqliteChatSessionStore _store;

    public SqliteBackend()
    {
        Directory.CreateDirectory(_folder);
        DatabasePath = Path.Combine(_folder, "chat.db");
        _store = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = DatabasePath });
    }

    public string DatabasePath { get; }

    public override IChatSessionStore Store => _store;

    public override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["ChatPersistence:Store"] = "Sqlite",
        ["ChatPersistence:Sqlite:Path"] = DatabasePath,
    };

    public override async ValueTask DisposeAsync()
    {
        await Task.Yield();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
