using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.Sqlite.Tests;

/// <summary>
/// A search's work is bounded by the page asked for: matches are ranked in blocks of the newest 1,000 (best first, then
/// newest), then the next older 1,000, so paging returns every match once and a query with up to 1,000 matches is ranked
/// as a whole.
/// </summary>
public sealed class SqliteSearchBlockTests(SqliteFixture fixture) : IClassFixture<SqliteFixture>
{
    private const int Block = 1000;

    [Fact]
    public async Task Matches_are_ranked_in_blocks_of_the_newest_thousand_and_paging_returns_each_once()
    {
        var store = fixture.AdminStore;
        var user = "user-" + Guid.NewGuid().ToString("N");
        var session = await store.GetOrCreateSessionAsync(user, "blocks");
        const int Total = Block + 150;
        var appended = new List<StoredChatMessage>();
        for (var i = 0; i < Total; i += ChatPersistenceLimits.MaxBatchSize)
        {
            // The oldest message and the 100th newest are the most relevant ones (the word three times in a short text).
            appended.AddRange(await store.AppendMessagesAsync(user, session.Id, Enumerable.Range(i, Math.Min(ChatPersistenceLimits.MaxBatchSize, Total - i))
                .Select(n => NewChatMessage.User(n is 0 or Total - 100 ? "needle needle needle" : $"needle number {n} in a longer text about other things")).ToList()));
        }

        var hits = new List<ChatSearchHit>();
        var request = new ChatSearchRequest("needle") { PageSize = 100 };
        while (true)
        {
            var page = await store.SearchAsync(user, request);
            hits.AddRange(page.Items);
            if (!page.HasMore)
            {
                break;
            }

            request = request with { Cursor = page.NextCursor };
        }

        var newestFirst = appended.Select(m => m.Id).Reverse().ToList();
        hits.Select(h => h.Message.Id).Should().OnlyHaveUniqueItems().And.HaveCount(Total);
        hits.Take(Block).Select(h => h.Message.Id).Should().BeEquivalentTo(newestFirst.Take(Block), "the first block is the newest 1,000 matches");
        hits.Skip(Block).Select(h => h.Message.Id).Should().BeEquivalentTo(newestFirst.Skip(Block), "then the older ones");
        hits[0].Message.Content.Should().Be("needle needle needle", "within a block the best comes first");
        hits[0].Message.Sequence.Should().Be(appended[Total - 100].Sequence);
        hits[Block].Message.Sequence.Should().Be(appended[0].Sequence, "the best of the older block leads it");
        hits.Take(Block).Skip(1).Select(h => h.Message.Sequence).Should().BeInDescendingOrder("equally relevant matches are newest first");
        hits[0].Rank.Should().BeGreaterThan(hits[1].Rank);
    }
}
