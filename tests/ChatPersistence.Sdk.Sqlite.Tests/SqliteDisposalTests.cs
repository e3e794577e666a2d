using ChatPersistence.Sdk.ChangeFeed;
using FluentAssertions;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace ChatPersistence.Sdk.Sqlite.Tests;

/// <summary>
/// The SQLite store owns its write connection and its change-log poller: the service provider that created it disposes it,
/// which ends its watches, closes the connection at once (not after the idle period) and refuses later calls.
/// </summary>
public sealed class SqliteDisposalTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chatpersistence-sqlite-dispose-" + Guid.NewGuid().ToString("N"));

    public SqliteDisposalTests() => Directory.CreateDirectory(_folder);

    private string Db => Path.Combine(_folder, "chat.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_provider_disposes_the_store_it_created_which_ends_watches_and_refuses_later_calls(bool asynchronously)
    {
        var services = new ServiceCollection();
        services.AddChatPersistence().UseSqlite(Db);
        var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<IChatSessionStore>();
        var feed = provider.GetRequiredService<IChatChangeFeed>();
        var session = await store.GetOrCreateSessionAsync("ana", "wf");
        await store.AppendMessageAsync("ana", session.Id, NewChatMessage.User("kept"));
        await using var watch = feed.WatchAsync("ana").GetAsyncEnumerator();
        var next = watch.MoveNextAsync().AsTask();

        if (asynchronously)
        {
            await provider.DisposeAsync();
        }
        else
        {
            provider.Dispose();
        }

        (await next.WaitAsync(TimeSpan.FromMinutes(1))).Should().BeFalse("disposing the store ends its watches");
        await FluentActions.Awaiting(() => store.GetSessionAsync("ana", session.Id)).Should().ThrowAsync<ObjectDisposedException>();
        await FluentActions.Awaiting(() => store.AppendMessageAsync("ana", session.Id, NewChatMessage.User("refused")))
            .Should().ThrowAsync<ObjectDisposedException>();

        // The write connection is closed now, not after the idle period: with the pool cleared the file is free, and its
        // content is what was acknowledged.
        SqliteConnection.ClearAllPools();
        await using var reopened = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = Db });
        (await reopened.GetMessagesAsync("ana", session.Id)).Messages.Select(m => m.Content).Should().Equal("kept");
    }

    [Fact]
    public async Task Disposing_twice_is_harmless()
    {
        var store = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = Db });
        await store.GetOrCreateSessionAsync("ana", "wf");
        await store.DisposeAsync();
        await store.DisposeAsync();
        store.Dispose();
    }
}
