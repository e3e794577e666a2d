using ChatPersistence.Sdk.Postgres;
using ChatPersistence.Sdk.PostgresTesting;
using ChatPersistence.Sdk.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ChatPersistence.Sdk.Mcp.Tests;

public sealed class PostgresBackend : StoreBackend
{
    private NpgsqlDataSource _admin = null!;
    private PostgresChatSessionStore _store = null!;
    private string _connectionString = null!;

    public static async Task<PostgresBackend> CreateAsync()
    {
        var cluster = await PostgresCluster.GetAsync();
        var database = await cluster.CreateDatabaseAsync();
        var backend = new PostgresBackend { _connectionString = cluster.ConnectionString(database) };
        backend._admin = NpgsqlDataSource.Create(backend._connectionString);
        backend._store = new PostgresChatSessionStore(backend._admin);
        return backend;
    }

    public override IChatSessionStore Store => _store;

    public override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["ChatPersistence:Store"] = "Postgres",
        ["ChatPersistence:Postgres:ConnectionString"] = _connectionString,
    };

    public override async Task<string> CreateUserAsync()
    {
        var id = Guid.NewGuid();
        await using var command = _admin.CreateCommand("insert into auth.users (id, email) values ($1, $2)");
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue($"{id:N}@example.test");
        await command.ExecuteNonQueryAsync();
        return id.ToString();
    }

    public override async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        await _admin.DisposeAsync();
    }
}
