using ChatPersistence.Sdk.ChangeFeed;
using ChatPersistence.Sdk.ConformanceTests;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.Sqlite.Tests;

public sealed class SqliteChangeFeedTests(SqliteFeedFixture fixture) : ChangeFeedSuite<SqliteFeedFixture>(fixture)
{
    [Fact]
    public async Task The_writing_instance_reports_its_own_writes_at_once()
    {
        var user = await Fixture.CreateUserAsync();
        var own = (SqliteChatSessionStore)Fixture.Writer;
        var session = await own.GetOrCreateSessionAsync(user, "wf-own");
        await using var watch = FeedWatch.Start(own, user);
        var started = DateTime.UtcNow;
        await own.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("now")]);
        (await watch.WaitForAsync(1)).Single().Kind.Should().Be(ChatChangeKind.MessagesAppended);
        (DateTime.UtcNow - started).Should().BeLessThan(TimeSpan.FromMilliseconds(45), "own writes wake the reader without waiting for the poll interval");
    }
}
