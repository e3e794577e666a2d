using ChatPersistence.Sdk.ConformanceTests;
using ChatPersistence.Sdk.Postgres;
using ChatPersistence.Sdk.PostgresTesting;
using Npgsql;

namespace ChatPersistence.Sdk.Postgres.Tests;

/// <summary>
/// The Npgsql store on a real PostgreSQL: a fresh database per fixture instance (Supabase auth shim + migrations), users
/// created in auth.users. Subclasses choose service mode or user mode (RLS decides, as under PostgREST).
/// </summary>
public abstract class PostgresFixture : ChatStoreFixture
{
    private readonly List<PostgresChatSessionStore> _stores = [];
    private NpgsqlDataSource? _admin;
    private PostgresChatSessionStore? _store;
    private PostgresChatSessionStore? _service;

    /// <summary>Whether the store runs calls as the authenticated user.</summary>
    protected abstract bool ActAsAuthenticatedUser { get; }

    public PostgresCluster Cluster { get; private set; } = null!;

    public string Database { get; private set; } = null!;

    public NpgsqlDataSource Admin => _admin!;

    public override IChatSessionStore AdminStore => _service!;

    public override async Task InitializeAsync()
    {
        Cluster = await PostgresCluster.GetAsync();
        Database = await Cluster.CreateDatabaseAsync();
        _admin = NpgsqlDataSource.Create(Cluster.ConnectionString(Database));
        _store = Track(new PostgresChatSessionStore(_admin, new PostgresChatStoreOptions { ActAsAuthenticatedUser = ActAsAuthenticatedUser }, null));
        _service = Track(new PostgresChatSessionStore(_admin));
    }

    public override async Task DisposeAsync()
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

    public override async Task<string> CreateUserAsync()
    {
        var id = Guid.NewGuid();
        await using var command = _admin!.CreateCommand("insert into auth.users (id, email) values ($1, $2)");
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue($"{id:N}@example.test");
        await command.ExecuteNonQueryAsync();
        return id.ToString();
    }

    public override IChatSessionStore StoreFor(string userId) => _store!;

    public override IChatSessionStore CreateStoreWithOptions(string userId, ChatPersistenceOptions options) =>
        Track(new PostgresChatSessionStore(_admin!, new PostgresChatStoreOptions { ActAsAuthenticatedUser = ActAsAuthenticatedUser }, options));

    private PostgresChatSessionStore Track(PostgresChatSessionStore store)
    {
        _stores.Add(store);
        return store;
    }
}
