using ChatPersistence.Sdk.ChangeFeed;
using ChatPersistence.Sdk.ConformanceTests;
using FluentAssertions;
using Npgsql;
using Xunit;

namespace ChatPersistence.Sdk.Postgres.Tests.ChangeFeed;

/// <summary>
/// A watch that starts before the listener's connection is up gets what was committed in between: the first connection
/// catches up from the log, so no host has to call <see cref="PostgresChatChangeFeed.StartAsync"/> first.
/// </summary>
public sealed class PostgresFeedFirstConnectTests(PostgresFeedFixture fixture) : IClassFixture<PostgresFeedFixture>
{
    [Fact]
    public async Task A_watch_started_before_the_listener_could_connect_gets_the_changes_committed_meanwhile()
    {
        var user = await fixture.CreateUserAsync();
        var session = await fixture.Writer.GetOrCreateSessionAsync(user, "wf-" + Guid.NewGuid().ToString("N"));
        await using var admin = NpgsqlDataSource.Create(fixture.Cluster.ConnectionString(fixture.Database));
        // The feed's own login role, which may not log in yet: the listener keeps failing to connect until it may.
        await ExecuteAsync(admin, "do $$ begin if not exists (select 1 from pg_roles where rolname = 'chat_late_feed') then " +
                                  "create role chat_late_feed superuser nologin; end if; end $$; alter role chat_late_feed nologin");
        var builder = new NpgsqlConnectionStringBuilder(fixture.Cluster.ConnectionString(fixture.Database)) { Username = "chat_late_feed", Password = null };
        await using var feed = new PostgresChatChangeFeed(builder.ConnectionString,
            new PostgresChatChangeFeedOptions { ReconnectDelay = TimeSpan.FromMilliseconds(20) }, null);

        await using var watch = FeedWatch.Start(feed, user);
        var first = await fixture.Writer.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("while the listener is down")]);
        await fixture.Writer.RenameSessionAsync(user, session.Id, "renamed meanwhile");
        feed.ConnectionCount.Should().Be(0, "the listener cannot log in yet");

        await ExecuteAsync(admin, "alter role chat_late_feed login");
        var changes = await watch.WaitForAsync(2, TimeSpan.FromSeconds(60));
        var second = await fixture.Writer.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("after it connected")]);
        changes = await watch.WaitForAsync(3, TimeSpan.FromSeconds(60));
        await Task.Delay(300);

        watch.Received.Select(c => (c.Kind, c.Sequence)).Should().Equal(
            (ChatChangeKind.MessagesAppended, first[0].Sequence), (ChatChangeKind.SessionRenamed, (long?)null),
            (ChatChangeKind.MessagesAppended, second[0].Sequence));
        feed.ConnectionCount.Should().Be(1);
    }

    private static async Task ExecuteAsync(NpgsqlDataSource source, string sql)
    {
        await using var command = source.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
