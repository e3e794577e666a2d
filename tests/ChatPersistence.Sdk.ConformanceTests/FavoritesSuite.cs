using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.ConformanceTests;

/// <summary>Favourites: set, unset, list per session and across sessions.</summary>
/// <typeparam name="TFixture">The store's fixture.</typeparam>
public abstract class FavoritesSuite<TFixture>(TFixture fixture) : ConformanceSuite<TFixture>(fixture)
    where TFixture : ChatStoreFixture
{
    [Fact]
    public async Task Favourite_and_unfavourite_are_idempotent_and_visible_in_history()
    {
        var s = await NewSessionAsync();
        var stored = await AppendManyAsync(s, 3);

        (await s.Store.SetFavoriteAsync(s.UserId, stored[1].Id, true)).IsFavorite.Should().BeTrue();
        (await s.Store.SetFavoriteAsync(s.UserId, stored[1].Id, true)).IsFavorite.Should().BeTrue();
        var history = await ReadAllAsync(s);
        history.Select(m => m.IsFavorite).Should().Equal(false, true, false);
        history[1].Content.Should().Be(stored[1].Content);
        history[1].Sequence.Should().Be(stored[1].Sequence);

        var unset = await s.Store.SetFavoriteAsync(s.UserId, stored[1].Id, false);
        unset.IsFavorite.Should().BeFalse();
        (await s.Store.SetFavoriteAsync(s.UserId, stored[1].Id, false)).IsFavorite.Should().BeFalse();
        (await s.Store.ListFavoritesAsync(s.UserId)).Items.Should().BeEmpty();
    }

    [Fact]
    public async Task Favourites_are_listed_newest_first_per_session_and_across_sessions_with_paging()
    {
        var s = await NewSessionAsync();
        var other = await s.Store.GetOrCreateSessionAsync(s.UserId, "second-" + Guid.NewGuid());
        var first = await AppendManyAsync(s, 4);
        var second = await s.Store.AppendMessagesAsync(s.UserId, other.Id, [NewChatMessage.User("o0"), NewChatMessage.User("o1")]);
        foreach (var m in new[] { first[0], first[2], first[3], second[1] })
        {
            await s.Store.SetFavoriteAsync(s.UserId, m.Id, true);
        }

        var across = new List<StoredChatMessage>();
        var request = new ChatFavoritesRequest { PageSize = 3 };
        while (true)
        {
            var page = await s.Store.ListFavoritesAsync(s.UserId, request);
            across.AddRange(page.Items);
            if (!page.HasMore)
            {
                break;
            }

            request = request with { Cursor = page.NextCursor };
        }

        across.Select(m => m.Id).Should().Equal(second[1].Id, first[3].Id, first[2].Id, first[0].Id);
        across.Should().OnlyContain(m => m.IsFavorite);
        var inSession = await s.Store.ListFavoritesAsync(s.UserId, new ChatFavoritesRequest { SessionId = s.Session.Id });
        inSession.Items.Select(m => m.Content).Should().Equal("m3", "m2", "m0");
    }

    [Fact]
    public async Task Favouriting_a_missing_message_is_not_found()
    {
        var user = await NewUserAsync();
        var act = () => user.Store.SetFavoriteAsync(user.Id, Guid.NewGuid(), true);
        await act.Should().ThrowAsync<ChatNotFoundException>();
    }
}
