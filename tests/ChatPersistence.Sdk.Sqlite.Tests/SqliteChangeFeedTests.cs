using ChatPersistence.Sdk.ChangeFeed;
using ChatPersistence.Sdk.ConformanceTests;
using FluentAssertions;
using Microsoft.Data.Sqlite;
using Xunit;

namespace ChatPersistence.Sdk.Sqlite.Tests;

public sealed class SqliteChangeFeedTests(SqliteFeedFixture fixture) : ChangeFeedSuite<SqliteFeedFixture>(fixture)
{
    [Fact]
    public async Task The_writing_instance_reports_its_own_writes_at_once()
    {
        // The instance polls once an hour: after its first polling round, only the wake-up by its own write can deliver a
        // change within the watch's wait (the mechanism is checked, not a timing).
        var folder = Path.Combine(Path.GetTempPath(), "chatpersistence-sqlite-own-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var options = new SqliteChatStoreOptions { Path = Path.Combine(folder, "chat.db"), ChangeFeedPollInterval = TimeSpan.FromHours(1) };
            await using var own = new SqliteChatSessionStore(options);
            const string User = "user-own";
            var session = await own.GetOrCreateSessionAsync(User, "wf-own");
            await using var ownWatch = FeedWatch.Start(own, User);

            // The first write is delivered by a polling round (the first, or one the write woke); that round's read is then done.
            await own.AppendMessagesAsync(User, session.Id, [NewChatMessage.User("first")]);
            (await ownWatch.WaitForAsync(1)).Should().ContainSingle();

            var second = await own.AppendMessagesAsync(User, session.Id, [NewChatMessage.User("second")]);

            (await ownWatch.WaitForAsync(2))[1].Should().Match<ChatChange>(c => c.Kind == ChatChangeKind.MessagesAppended && c.Sequence == second[0].Sequence,
                "own writes wake the writing instance's reader without waiting for the poll interval (an hour)");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
