using ChatPersistence.Sdk.ChangeFeed;
using ChatPersistence.Sdk.ConformanceTests;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.Postgres.Tests.ChangeFeed;

/// <summary>
/// A reply's growth is not notified by its flushes: while replies stream, the listener reads their lengths every
/// ReplyPollInterval. A reply that streams for seconds is reported all along, not only at its start or end.
/// </summary>
public sealed class PostgresFeedReplyGrowthTests(PostgresFeedFixture fixture) : IClassFixture<PostgresFeedFixture>
{
    [Fact]
    public async Task A_reply_streaming_for_seconds_is_reported_growing_all_along_and_polling_stops_when_it_ends()
    {
        var user = await fixture.CreateUserAsync();
        var session = await fixture.Writer.GetOrCreateSessionAsync(user, "wf-" + Guid.NewGuid().ToString("N"));
        await using var watch = FeedWatch.Start(fixture.Feed, user, session.Id);
        await fixture.Writer.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("tell me")]);
        var reply = await fixture.Writer.BeginReplyAsync(user, session.Id, new NewChatReply());

        // 30 flushes, 100 ms apart (3 s): the listener reads lengths every 200 ms, so about 15 reports, each a new length.
        var written = 0L;
        for (var i = 0; i < 30; i++)
        {
            var chunk = $"word{i} ";
            await fixture.Writer.GrowReplyAsync(user, reply.Id, written, chunk);
            written += chunk.Length;
            await Task.Delay(100);
        }

        await watch.WaitUntilAsync(r => r.Any(c => c.Kind == ChatChangeKind.ReplyGrew && c.Length == written), $"a ReplyGrew of length {written}");
        await fixture.Writer.FinishReplyAsync(user, reply.Id, new ChatReplyFinish { Status = ChatReplyStatus.Complete });
        await watch.WaitUntilAsync(r => r.Any(c => c.Kind == ChatChangeKind.ReplyEnded), "ReplyEnded");

        var lengths = watch.Received.Where(c => c.Kind == ChatChangeKind.ReplyGrew).Select(c => c.Length!.Value).ToList();
        lengths.Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        lengths.Count.Should().BeGreaterThanOrEqualTo(10, $"growth is reported while the reply streams for 3 s, not only once (lengths: {string.Join(", ", lengths)})");
    }
}
