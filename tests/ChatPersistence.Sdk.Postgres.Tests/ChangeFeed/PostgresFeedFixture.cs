using ChatPersistence.Sdk.ChangeFeed;
using ChatPersistence.Sdk.ConformanceTests;
using ChatPersistence.Sdk.PostgresTesting;
using Npgsql;

namespace ChatPersistence.Sdk.Postgres.Tests.ChangeFeed;

/// <summary>
/// Two "instances" over one database: a store on one data source writes, a change feed on another data source (its own
/// connection, as another host would have) listens.
/// </summary>
public sealed class PostgresFeedFixture : ChangeFeedFixture
{
    private readonly List<IAsyncDisposable> _owned = [];
    private NpgsqlDataSource? _writerSource;
    private PostgresChatSessionStore? _writer;
    private PostgresChatChangeFeed? _feed;

    /// <summary>The application name of the feed's connections (to count them in pg_stat_activity).</summary>
    public const string FeedApplicationName = "chat-feed-under-test";

    public PostgresCluster Cluster { get; private set; } = null!;

    public string Database { get; private set; } = null!;

    public override IChatSessionStore Writer => _writer!;

    public override IChatChangeFeed Feed => _feed!;

    public PostgresChatChangeFeed PostgresFeed => _feed!;

    public override async Task InitializeAsync()
    {
        Cluster = await PostgresCluster.GetAsync();
        Database = await Cluster.CreateDatabaseAsync();
        // Disposed in reverse order: the feed, then the writer, then the data sources.
        _writerSource = Own(NpgsqlDataSource.Create(Cluster.ConnectionString(Database)));
        var feedSource = Own(NpgsqlDataSource.Create(Cluster.ConnectionString(Database) + ";Application Name=" + FeedApplicationName));
        _writer = Own(new PostgresChatSessionStore(_writerSource));
        _feed = Own(new PostgresChatChangeFeed(feedSource));
        await _feed.StartAsync();
    }

    public override async Task DisposeAsync()
    {
        for (var i = _owned.Count - 1; i >= 0; i--)
        {
            await _owned[i].DisposeAsync();
        }
    }

    private T Own<T>(T disposable)
        where T : IAsyncDisposable
    {
        _owned.Add(disposable);
        return disposable;
    }

    public override Task<string> CreateUserAsync() => CreateUserAsync(_writerSource!);

    public static async Task<string> CreateUserAsync(NpgsqlDataSource dataSource)
    {
        var id = Guid.NewGuid();
        await using var command = dataSource.CreateCommand("insert into auth.users (id, email) values ($1, $2)");
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue($"{id:N}@example.test");
        await command.ExecuteNonQueryAsync();
        return id.ToString();
    }
}
