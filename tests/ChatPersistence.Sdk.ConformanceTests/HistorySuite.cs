using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.ConformanceTests;

/// <summary>History: keyset paging in both directions, cursors, streaming.</summary>
/// <typeparam name="TFixture">The store's fixture.</typeparam>
public abstract class HistorySuite<TFixture>(TFixture fixture) : ConformanceSuite<TFixture>(fixture)
    where TFixture : ChatStoreFixture
{
    private static readonly DateTimeOffset SameInstant = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Newest_first_paging_walks_the_whole_history_even_when_timestamps_are_equal()
    {
        var s = await NewSessionAsync();
        var stored = await AppendManyAsync(s, 23, SameInstant);

        var page = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { PageSize = 10 });
        page.Messages.Select(m => m.Content).Should().Equal(Enumerable.Range(13, 10).Select(i => "m" + i));
        page.HasOlder.Should().BeTrue();
        page.HasNewer.Should().BeFalse();

        var seen = new List<StoredChatMessage>(page.Messages);
        var pages = 1;
        while (page.HasOlder)
        {
            page = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { PageSize = 10, Cursor = page.OlderCursor });
            page.HasNewer.Should().BeTrue();
            page.Messages.Select(m => m.Sequence).Should().BeInAscendingOrder();
            seen.InsertRange(0, page.Messages);
            pages++;
        }

        pages.Should().Be(3);
        page.Messages.Should().HaveCount(3);
        seen.Select(m => m.Id).Should().Equal(stored.Select(m => m.Id));
    }

    [Fact]
    public async Task Oldest_first_paging_walks_forward_and_back()
    {
        var s = await NewSessionAsync();
        var stored = await AppendManyAsync(s, 12, SameInstant);

        var first = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { PageSize = 5, Start = ChatHistoryStart.Oldest });
        first.Messages.Select(m => m.Content).Should().Equal("m0", "m1", "m2", "m3", "m4");
        first.HasOlder.Should().BeFalse();
        first.HasNewer.Should().BeTrue();

        var second = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { PageSize = 5, Cursor = first.NewerCursor });
        second.Messages.Select(m => m.Content).Should().Equal("m5", "m6", "m7", "m8", "m9");
        second.HasOlder.Should().BeTrue();
        second.HasNewer.Should().BeTrue();

        var third = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { PageSize = 5, Cursor = second.NewerCursor });
        third.Messages.Select(m => m.Content).Should().Equal("m10", "m11");
        third.HasNewer.Should().BeFalse();

        var back = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { PageSize = 5, Cursor = second.OlderCursor });
        back.Messages.Select(m => m.Id).Should().Equal(first.Messages.Select(m => m.Id));
        back.HasOlder.Should().BeFalse();
        back.HasNewer.Should().BeTrue();
        stored.Should().HaveCount(12);
    }

    [Fact]
    public async Task An_empty_session_has_an_empty_page_without_cursors()
    {
        var s = await NewSessionAsync();
        var page = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id);
        page.Messages.Should().BeEmpty();
        page.HasOlder.Should().BeFalse();
        page.HasNewer.Should().BeFalse();
        page.OlderCursor.Should().BeNull();
        page.NewerCursor.Should().BeNull();
    }

    [Fact]
    public async Task A_cursor_stays_valid_while_new_messages_arrive_and_polls_for_them()
    {
        var s = await NewSessionAsync();
        await AppendManyAsync(s, 6);
        var latest = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { PageSize = 3 });

        var arrived = await s.Store.AppendMessagesAsync(s.UserId, s.Session.Id, [NewChatMessage.User("new1"), NewChatMessage.Assistant("new2")]);

        var older = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { PageSize = 3, Cursor = latest.OlderCursor });
        older.Messages.Select(m => m.Content).Should().Equal("m0", "m1", "m2");
        older.HasOlder.Should().BeFalse();

        var newer = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { PageSize = 3, Cursor = latest.NewerCursor });
        newer.Messages.Select(m => m.Id).Should().Equal(arrived.Select(m => m.Id));
        newer.HasNewer.Should().BeFalse();

        var nothingYet = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { Cursor = newer.NewerCursor });
        nothingYet.Messages.Should().BeEmpty();
        nothingYet.NewerCursor.Should().NotBeNull("a client keeps polling with it");
        nothingYet.HasOlder.Should().BeTrue();
    }

    [Fact]
    public async Task Tampered_truncated_and_garbage_cursors_are_rejected()
    {
        var s = await NewSessionAsync();
        await AppendManyAsync(s, 5);
        var page = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { PageSize = 2 });
        var cursor = page.OlderCursor!;
        cursor.Should().MatchRegex("^[A-Za-z0-9_-]+$", "cursors are URL-safe");

        var flipped = cursor[..5] + (cursor[5] == 'A' ? 'B' : 'A') + cursor[6..];
        foreach (var bad in new[] { flipped, cursor[..^2], cursor + "AA", "not a cursor", "%%%", string.Empty })
        {
            var act = () => s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { Cursor = bad });
            await act.Should().ThrowAsync<ArgumentException>($"cursor '{bad}' is not one the store issued");
        }
    }

    [Fact]
    public async Task A_cursor_of_another_session_or_listing_is_rejected()
    {
        var s = await NewSessionAsync();
        await AppendManyAsync(s, 3);
        var other = await s.Store.GetOrCreateSessionAsync(s.UserId, "other-" + Guid.NewGuid());
        await s.Store.AppendMessageAsync(s.UserId, other.Id, NewChatMessage.User("x"));
        var cursor = (await s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { PageSize = 1 })).OlderCursor;
        await s.Store.GetOrCreateSessionAsync(s.UserId, "third-" + Guid.NewGuid());
        var sessionsCursor = (await s.Store.ListSessionsAsync(s.UserId, new ChatListRequest { PageSize = 1 })).NextCursor;

        var foreignSession = () => s.Store.GetMessagesAsync(s.UserId, other.Id, new ChatHistoryRequest { Cursor = cursor });
        var wrongListing = () => s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { Cursor = sessionsCursor });
        var historyAsSessions = () => s.Store.ListSessionsAsync(s.UserId, new ChatListRequest { Cursor = cursor });

        await foreignSession.Should().ThrowAsync<ArgumentException>();
        await wrongListing.Should().ThrowAsync<ArgumentException>();
        await historyAsSessions.Should().ThrowAsync<ArgumentException>();
    }

    [Fact]
    public async Task A_cursor_of_another_user_is_rejected()
    {
        var a = await NewSessionAsync();
        await AppendManyAsync(a, 3);
        var cursor = (await a.Store.GetMessagesAsync(a.UserId, a.Session.Id, new ChatHistoryRequest { PageSize = 1 })).OlderCursor;
        var b = await NewSessionAsync();
        var act = () => b.Store.GetMessagesAsync(b.UserId, b.Session.Id, new ChatHistoryRequest { Cursor = cursor });
        await act.Should().ThrowAsync<ArgumentException>();
    }

    [Fact]
    public async Task Streaming_equals_paging_in_both_directions()
    {
        var s = await NewSessionAsync();
        var stored = await AppendManyAsync(s, 250, SameInstant);

        var forward = new List<StoredChatMessage>();
        await foreach (var m in s.Store.StreamMessagesAsync(s.UserId, s.Session.Id, ChatHistoryStart.Oldest, pageSize: 37))
        {
            forward.Add(m);
        }

        var backward = new List<StoredChatMessage>();
        await foreach (var m in s.Store.StreamMessagesAsync(s.UserId, s.Session.Id, ChatHistoryStart.Newest, pageSize: 64))
        {
            backward.Add(m);
        }

        forward.Select(m => m.Id).Should().Equal(stored.Select(m => m.Id));
        backward.Select(m => m.Id).Should().Equal(stored.Select(m => m.Id).Reverse());
    }

    [Fact]
    public async Task The_maximum_page_size_is_served_whole()
    {
        var s = await NewSessionAsync();
        await AppendManyAsync(s, ChatPersistenceLimits.MaxPageSize + 1);
        var page = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { PageSize = ChatPersistenceLimits.MaxPageSize });
        page.Messages.Should().HaveCount(ChatPersistenceLimits.MaxPageSize);
        page.HasOlder.Should().BeTrue();
        page.Messages[0].Content.Should().Be("m1");
    }

    [Fact]
    public async Task Reading_a_missing_session_is_not_found()
    {
        var user = await NewUserAsync();
        var act = () => user.Store.GetMessagesAsync(user.Id, Guid.NewGuid());
        await act.Should().ThrowAsync<ChatNotFoundException>();
    }
}
