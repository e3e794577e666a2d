using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.ConformanceTests;

/// <summary>Sessions: get-or-create, get, list, rename.</summary>
/// <typeparam name="TFixture">The store's fixture.</typeparam>
public abstract class SessionSuite<TFixture>(TFixture fixture) : ConformanceSuite<TFixture>(fixture)
    where TFixture : ChatStoreFixture
{
    [Fact]
    public async Task Canonically_equivalent_workflow_ids_name_one_session_stored_in_nfc()
    {
        var user = await NewUserAsync();
        var composed = await user.Store.GetOrCreateSessionAsync(user.Id, "caf\u00E9-\uAC00");
        var decomposed = await user.Store.GetOrCreateSessionAsync(user.Id, "cafe\u0301-\u1100\u1161");

        decomposed.Id.Should().Be(composed.Id);
        composed.WorkflowId.Should().Be("caf\u00E9-\uAC00");
        (await user.Store.ListSessionsAsync(user.Id)).Items.Should().ContainSingle();
    }

    [Fact]
    public async Task Get_or_create_creates_once_and_then_returns_the_same_session()
    {
        var user = await NewUserAsync();
        var before = DateTimeOffset.UtcNow.AddSeconds(-5);
        var created = await user.Store.GetOrCreateSessionAsync(user.Id, "workflow-a", "First title");
        var again = await user.Store.GetOrCreateSessionAsync(user.Id, "workflow-a", "Ignored title");

        created.Id.Should().NotBe(Guid.Empty);
        created.UserId.Should().Be(user.Id);
        created.WorkflowId.Should().Be("workflow-a");
        created.Title.Should().Be("First title");
        created.MessageCount.Should().Be(0);
        created.LastMessageAt.Should().BeNull();
        created.CreatedAt.Should().BeAfter(before).And.BeBefore(DateTimeOffset.UtcNow.AddSeconds(5));
        created.CreatedAt.Offset.Should().Be(TimeSpan.Zero);
        again.Id.Should().Be(created.Id);
        again.Title.Should().Be("First title", "the title is only applied on create");
    }

    [Fact]
    public async Task One_session_per_workflow_and_per_user()
    {
        var alice = await NewUserAsync();
        var bob = await NewUserAsync();
        var a1 = await alice.Store.GetOrCreateSessionAsync(alice.Id, "w1");
        var a2 = await alice.Store.GetOrCreateSessionAsync(alice.Id, "w2");
        var b1 = await bob.Store.GetOrCreateSessionAsync(bob.Id, "w1");

        new[] { a1.Id, a2.Id, b1.Id }.Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task Workflow_ids_are_exact_strings_including_uuids_and_unicode()
    {
        var user = await NewUserAsync();
        var ids = new[] { Guid.NewGuid().ToString(), "Fluxo de Aprovação ✅", "W", "w", new string('x', ChatPersistenceLimits.MaxWorkflowIdLength) };
        var sessions = new List<ChatSession>();
        foreach (var id in ids)
        {
            sessions.Add(await user.Store.GetOrCreateSessionAsync(user.Id, id));
        }

        sessions.Select(s => s.WorkflowId).Should().Equal(ids);
        sessions.Select(s => s.Id).Should().OnlyHaveUniqueItems("workflow ids are case-sensitive");
    }

    [Fact]
    public async Task Get_session_returns_the_session_or_null()
    {
        var s = await NewSessionAsync("T");
        var found = await s.Store.GetSessionAsync(s.UserId, s.Session.Id);
        found.Should().BeEquivalentTo(s.Session);
        (await s.Store.GetSessionAsync(s.UserId, Guid.NewGuid())).Should().BeNull();
    }

    [Fact]
    public async Task Rename_sets_and_removes_the_title_and_bumps_updated_at()
    {
        var s = await NewSessionAsync("Old");
        var renamed = await s.Store.RenameSessionAsync(s.UserId, s.Session.Id, "Persistência de Chat");
        renamed.Title.Should().Be("Persistência de Chat");
        renamed.UpdatedAt.Should().BeOnOrAfter(s.Session.UpdatedAt);
        var cleared = await s.Store.RenameSessionAsync(s.UserId, s.Session.Id, null);
        cleared.Title.Should().BeNull();
        (await s.Store.GetSessionAsync(s.UserId, s.Session.Id))!.Title.Should().BeNull();
    }

    [Fact]
    public async Task Rename_of_a_missing_session_is_not_found()
    {
        var user = await NewUserAsync();
        var act = () => user.Store.RenameSessionAsync(user.Id, Guid.NewGuid(), "x");
        await act.Should().ThrowAsync<ChatNotFoundException>();
    }

    [Fact]
    public async Task List_sessions_is_most_recently_active_first_and_pages_without_gaps()
    {
        var user = await NewUserAsync();
        var created = new List<ChatSession>();
        for (var i = 0; i < 7; i++)
        {
            created.Add(await user.Store.GetOrCreateSessionAsync(user.Id, "w" + i));
        }

        // Activity moves w2 to the front.
        await user.Store.AppendMessagesAsync(user.Id, created[2].Id, [NewChatMessage.User("hello")]);

        var listed = new List<ChatSession>();
        var request = new ChatListRequest { PageSize = 3 };
        var pages = 0;
        while (true)
        {
            var page = await user.Store.ListSessionsAsync(user.Id, request);
            pages++;
            page.Items.Count.Should().BeLessThanOrEqualTo(3);
            listed.AddRange(page.Items);
            if (!page.HasMore)
            {
                break;
            }

            request = request with { Cursor = page.NextCursor };
        }

        pages.Should().Be(3);
        listed.Select(s => s.Id).Should().BeEquivalentTo(created.Select(s => s.Id)).And.OnlyHaveUniqueItems();
        listed[0].WorkflowId.Should().Be("w2");
        listed[0].MessageCount.Should().Be(1);
        listed.Select(s => s.UpdatedAt).Should().BeInDescendingOrder();
    }

    [Fact]
    public async Task List_sessions_of_a_user_without_sessions_is_empty()
    {
        var user = await NewUserAsync();
        var page = await user.Store.ListSessionsAsync(user.Id);
        page.Items.Should().BeEmpty();
        page.HasMore.Should().BeFalse();
        page.NextCursor.Should().BeNull();
    }
}
