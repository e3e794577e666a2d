using ChatPersistence.Sdk.ChangeFeed;
using ChatPersistence.Sdk.Postgres;
using ChatPersistence.Sdk.PostgresTesting;
using Npgsql;
using Xunit.Abstractions;

namespace ChatPersistence.Sdk.Decorators.Tests;

public sealed class PostgresCrossHostCachingTests(ITestOutputHelper output) : CrossHostCachingTests(output)
{
    private readonly List<IAsyncDisposable> _owned = [];
    private string _connectionString = null!;

    public override async Task InitializeAsync()
    {
        var cluster = await PostgresCluster.GetAsync();
        _connectionString = cluster.ConnectionString(await cluster.CreateDatabaseAsync());
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }
    }

    protected override async Task<string> NewUserAsync()
    {
        var id = Guid.NewGuid();
        await using var dataSource = NpgsqlDataSource.Create(_connectionString);
        await using var command = dataSource.CreateCommand("insert into auth.users (id) values ($1)");
        command.Parameters.AddWithValue(id);
        await command.ExecuteNonQueryAsync();
        return id.ToString();
    }

    // Each host has its own pool, store and listener connection, as a separate process would.
    protected override (IChatSessionStore Store, IChatChangeFeed Feed) OpenStore()
    {
        var dataSource = NpgsqlDataSource.Create(_connectionString);
        var store = new PostgresChatSessionStore(dataSource);
        var feed = new PostgresChatChangeFeed(_connectionString);
        _owned.Add(feed);
        _owned.Add(store);
        _owned.Add(dataSource);
        return (store, feed);
    }
}
