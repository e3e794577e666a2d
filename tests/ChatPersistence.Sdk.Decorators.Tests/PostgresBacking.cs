using ChatPersistence.Sdk.Postgres;
using ChatPersistence.Sdk.PostgresTesting;
using Npgsql;

namespace ChatPersistence.Sdk.Decorators.Tests;

public sealed class PostgresBacking : BackingStore
{
    private readonly List<PostgresChatSessionStore> _stores = [];
    private NpgsqlDataSource? _admin;

    public static async Task<PostgresBacking> CreateAsync()
    {
        var cluster = await PostgresCluster.GetAsync();
        var database = await cluster.CreateDatabaseAsync();
        return new PostgresBacking { _admin = NpgsqlDataSource.Create(cluster.ConnectionString(database)) };
    }

    public override IChatSessionStore OpenStore()
    {
        var store = new PostgresChatSessionStore(_admin!);
        _stores.Add(store);
        return store;
    }

    public override async Task<string> NewUserAsync()
    {
        var id = Guid.NewGuid();
        await using var command = _admin!.CreateCommand("insert into auth.users (id) values ($1)");
        command.Parameters.AddWithValue(id);
        await command.ExecuteNonQueryAsync();
        return id.ToString();
    }

    public override async ValueTask DisposeAsync()
    {
        foreach (var store in _stores)
        {
            await store.DisposeAsync();
        }

        if (_admin is not null)
        {
            await _admin.DisposeAsync();
        }
    }
}
