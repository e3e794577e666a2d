using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.ConformanceTests;

/// <summary>
/// Versions as a tree (issue 27): parents, the active path every read returns, edit and regenerate as siblings, switching,
/// cursors across a switch, concurrent appends on other branches, search/favourites/clear on a tree, and bad input. A
/// store that does not report <see cref="ChatStoreCapabilities.Branches"/> must refuse every branch operation with
/// <see cref="NotSupportedException"/> before anything is written, and each test checks that instead.
/// </summary>
/// <typeparam name="TFixture">The store's fixture.</typeparam>
public abstract class BranchSuite<TFixture>(TFixture fixture) : ConformanceSuite<TFixture>(fixture)
    where TFixture : ChatStoreFixture
{
    [Fact]
    public async Task A_linear_history_is_a_tree_with_one_child_per_message()
    {
        var s = await NewSessionAsync();
        var stored = await AppendManyAsync(s, 5);
        if (!await SupportsBranchesAsync(s))
        {
            return;
        }

        var page = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id);
        page.Messages.Select(m => m.ParentId).Should().Equal(null, stored[0].Id, stored[1].Id, stored[2].Id, stored[3].Id);
        stored.Select(m => m.ParentId).Should().Equal(page.Messages.Select(m => m.ParentId), "the append returns the parents too");
        page.Siblings.Should().BeEmpty();
        (await s.Store.GetSessionAsync(s.UserId, s.Session.Id))!.ActiveLeafId.Should().BeNull("the session never branched");

        var siblings = await s.Store.GetSiblingsAsync(s.UserId, stored[2].Id);
        siblings.SessionId.Should().Be(s.Session.Id);
        siblings.ParentId.Should().Be(stored[1].Id);
        siblings.Versions.Select(v => v.Id).Should().Equal(stored[2].Id);
        siblings.Index.Should().Be(0);
        siblings.ActiveIndex.Should().Be(0);
        (await s.Store.GetSiblingsAsync(s.UserId, stored[0].Id)).ParentId.Should().BeNull();

        var noop = await s.Store.SwitchBranchAsync(s.UserId, s.Session.Id, stored[1].Id);
        noop.Changed.Should().BeFalse("the message is on the only path");
        noop.LeafId.Should().Be(stored[4].Id);
    }

    [Fact]
    public async Task Editing_a_question_keeps_the_old_version_and_everything_under_it()
    {
        var s = await NewSessionAsync();
        var (q1, a1, q2, a2) = await ConversationAsync(s);
        if (!await SupportsBranchesAsync(s))
        {
            return;
        }

        var edited = await s.Store.AppendVersionAsync(s.UserId, s.Session.Id, q2.Id, NewChatMessage.User("q2, better"));
        edited.ParentId.Should().Be(a1.Id);
        var answer = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.Assistant("a2'"));
        answer.ParentId.Should().Be(edited.Id, "an append without a parent continues the active path");

        var page = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id);
        page.Messages.Select(m => m.Id).Should().Equal(q1.Id, a1.Id, edited.Id, answer.Id);
        page.Siblings.Should().Equal(new ChatSiblingPosition(edited.Id, 1, 2));
        (await s.Store.GetSessionAsync(s.UserId, s.Session.Id))!.ActiveLeafId.Should().Be(answer.Id);

        var siblings = await s.Store.GetSiblingsAsync(s.UserId, q2.Id);
        siblings.Versions.Select(v => v.Id).Should().Equal(q2.Id, edited.Id);
        siblings.Versions.Select(v => v.Role).Should().OnlyContain(r => r == ChatMessageRole.User);
        siblings.Index.Should().Be(0);
        siblings.ActiveIndex.Should().Be(1);
        siblings.ParentId.Should().Be(a1.Id);

        // The old version is intact and readable as it was.
        var old = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { LeafId = a2.Id });
        old.Messages.Select(m => m.Id).Should().Equal(q1.Id, a1.Id, q2.Id, a2.Id);
        old.Messages.Select(m => m.Content).Should().Equal("q1", "a1", "q2", "a2");
        old.Siblings.Should().Equal(new ChatSiblingPosition(q2.Id, 0, 2));
    }

    [Fact]
    public async Task Regenerating_an_answer_adds_a_sibling_and_switching_back_restores_the_old_one()
    {
        var s = await NewSessionAsync();
        var (q1, a1, q2, a2) = await ConversationAsync(s);
        if (!await SupportsBranchesAsync(s))
        {
            return;
        }

        StoredChatMessage regenerated;
        if (s.Store.Capabilities.Replies)
        {
            var begun = await s.Store.BeginReplyAsync(s.UserId, s.Session.Id, new NewChatReply { ParentId = q2.Id });
            begun.ParentId.Should().Be(q2.Id);
            var streaming = await s.Store.GetSiblingsAsync(s.UserId, a2.Id);
            streaming.Versions.Select(v => v.Status).Should().Equal(ChatReplyStatus.Complete, ChatReplyStatus.Streaming);
            regenerated = await s.Store.FinishReplyAsync(s.UserId, begun.Id, new ChatReplyFinish { Status = ChatReplyStatus.Complete, Text = "a2 again" });
        }
        else
        {
            regenerated = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.Assistant("a2 again") with { ParentId = q2.Id });
        }

        regenerated.ParentId.Should().Be(q2.Id);
        (await s.Store.GetMessagesAsync(s.UserId, s.Session.Id)).Messages.Select(m => m.Content).Should().Equal("q1", "a1", "q2", "a2 again");

        var back = await s.Store.SwitchVersionAsync(s.UserId, s.Session.Id, regenerated.Id, 0);
        back.Changed.Should().BeTrue();
        back.LeafId.Should().Be(a2.Id);
        back.LeafSequence.Should().Be(a2.Sequence);
        back.ForkSequence.Should().Be(q2.Sequence);
        var page = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id);
        page.Messages.Select(m => m.Id).Should().Equal(q1.Id, a1.Id, q2.Id, a2.Id);
        page.Siblings.Should().Equal(new ChatSiblingPosition(a2.Id, 0, 2));
        (await s.Store.GetSiblingsAsync(s.UserId, regenerated.Id)).ActiveIndex.Should().Be(0);
    }

    [Fact]
    public async Task Switching_goes_down_to_the_leaf_last_active_beneath_the_version()
    {
        var s = await NewSessionAsync();
        var (q1, a1, q2, a2) = await ConversationAsync(s);
        if (!await SupportsBranchesAsync(s))
        {
            return;
        }

        var q3 = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.User("q3"));
        var a3 = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.Assistant("a3"));
        var q2b = await s.Store.AppendVersionAsync(s.UserId, s.Session.Id, q2.Id, NewChatMessage.User("q2b"));
        var a2b = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.Assistant("a2b"));

        // Back to the first version of q2: down to a3, where that branch was left, not to a2.
        var first = await s.Store.SwitchBranchAsync(s.UserId, s.Session.Id, q2.Id);
        first.Changed.Should().BeTrue();
        first.LeafId.Should().Be(a3.Id);
        first.ForkSequence.Should().Be(a1.Sequence);
        (await ReadAllAsync(s)).Select(m => m.Id).Should().Equal(q1.Id, a1.Id, q2.Id, a2.Id, q3.Id, a3.Id);

        // Inside that branch, a regenerated a2 (under q2) is left; switching to q2b comes back to a2b.
        var a2c = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.Assistant("a2c") with { ParentId = q2.Id });
        (await ReadAllAsync(s)).Select(m => m.Id).Should().Equal(q1.Id, a1.Id, q2.Id, a2c.Id);
        var second = await s.Store.SwitchBranchAsync(s.UserId, s.Session.Id, q2b.Id);
        second.LeafId.Should().Be(a2b.Id);
        (await s.Store.SwitchBranchAsync(s.UserId, s.Session.Id, q2.Id)).LeafId.Should().Be(a2c.Id, "a2c was the last leaf active beneath q2");
        (await s.Store.SwitchBranchAsync(s.UserId, s.Session.Id, a2.Id)).LeafId.Should().Be(a3.Id);

        // A message already on the active path: nothing changes.
        var same = await s.Store.SwitchBranchAsync(s.UserId, s.Session.Id, q1.Id);
        same.Changed.Should().BeFalse();
        same.LeafId.Should().Be(a3.Id);
        (await s.Store.GetSessionAsync(s.UserId, s.Session.Id))!.ActiveLeafId.Should().Be(a3.Id);
    }

    [Fact]
    public async Task A_reload_reads_the_chosen_branch_and_appends_continue_it()
    {
        var s = await NewSessionAsync();
        var (q1, a1, q2, a2) = await ConversationAsync(s);
        if (!await SupportsBranchesAsync(s))
        {
            return;
        }

        await s.Store.AppendVersionAsync(s.UserId, s.Session.Id, q2.Id, NewChatMessage.User("q2b"));
        await s.Store.SwitchBranchAsync(s.UserId, s.Session.Id, q2.Id);

        // Another instance of the store (a reload, another device) sees the chosen branch.
        var other = Fixture.StoreFor(s.UserId);
        (await other.GetMessagesAsync(s.UserId, s.Session.Id)).Messages.Select(m => m.Id).Should().Equal(q1.Id, a1.Id, q2.Id, a2.Id);
        var next = await other.AppendMessagesAsync(s.UserId, s.Session.Id, [NewChatMessage.User("q3"), NewChatMessage.Assistant("a3")]);
        next[0].ParentId.Should().Be(a2.Id);
        next[1].ParentId.Should().Be(next[0].Id);
        (await ReadAllAsync(s)).Select(m => m.Content).Should().Equal("q1", "a1", "q2", "a2", "q3", "a3");
    }

    [Fact]
    public async Task Appends_under_a_parent_that_is_no_longer_active_keep_both_branches_intact()
    {
        var s = await NewSessionAsync();
        var (q1, a1, q2, a2) = await ConversationAsync(s);
        if (!await SupportsBranchesAsync(s))
        {
            return;
        }

        // Device A edits q2; device B, which still shows a2, answers under a2 naming it.
        var edited = await s.Store.AppendVersionAsync(s.UserId, s.Session.Id, q2.Id, NewChatMessage.User("q2 edited on A"));
        var fromB = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.User("q3 from B") with { ParentId = a2.Id });
        fromB.ParentId.Should().Be(a2.Id);

        // The later write is the leaf; A's version is intact, a sibling of q2.
        (await ReadAllAsync(s)).Select(m => m.Id).Should().Equal(q1.Id, a1.Id, q2.Id, a2.Id, fromB.Id);
        (await s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { LeafId = edited.Id })).Messages.Select(m => m.Id)
            .Should().Equal(q1.Id, a1.Id, edited.Id);

        // Both at once, many times: every message lands under the parent it named, no branch loses or reorders one.
        var tasks = Enumerable.Range(0, 10).Select(i => s.Store.AppendMessageAsync(
            s.UserId, s.Session.Id, NewChatMessage.Assistant("x" + i) with { ParentId = i % 2 == 0 ? edited.Id : fromB.Id })).ToArray();
        var results = await Task.WhenAll(tasks);
        results.Where((_, i) => i % 2 == 0).Should().OnlyContain(m => m.ParentId == edited.Id);
        results.Where((_, i) => i % 2 == 1).Should().OnlyContain(m => m.ParentId == fromB.Id);
        (await s.Store.GetSiblingsAsync(s.UserId, results[0].Id)).Versions.Should().HaveCount(5);
        var newest = results.MaxBy(m => m.Sequence)!;
        (await s.Store.GetSessionAsync(s.UserId, s.Session.Id))!.ActiveLeafId.Should().Be(newest.Id, "the later commit is the active leaf");
        var all = await ReadAllBranchesAsync(s);
        all.Should().HaveCount(4 + 2 + 10);
        all.Select(m => m.Sequence).Should().BeInAscendingOrder();
    }

    [Fact]
    public async Task Cursors_stay_valid_across_a_switch_and_a_page_never_mixes_two_paths()
    {
        var s = await NewSessionAsync();
        var stored = await AppendManyAsync(s, 10);
        if (!await SupportsBranchesAsync(s))
        {
            return;
        }

        // A linear cursor from before any branch still reads after branching.
        var before = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { PageSize = 3 });
        var version = await s.Store.AppendVersionAsync(s.UserId, s.Session.Id, stored[5].Id, NewChatMessage.User("m5b"));
        var more = await AppendManyAsync(s, 2);

        // Path now: m0..m4, m5b, m0', m1' (AppendManyAsync's names). The old cursor points before m7: older than it on the new path.
        var older = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { PageSize = 3, Cursor = before.OlderCursor });
        older.Messages.Select(m => m.Id).Should().Equal(stored[2].Id, stored[3].Id, stored[4].Id);
        older.HasOlder.Should().BeTrue();
        older.HasNewer.Should().BeTrue();
        var newer = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { PageSize = 10, Cursor = older.NewerCursor });
        newer.Messages.Select(m => m.Id).Should().Equal(version.Id, more[0].Id, more[1].Id);
        newer.HasNewer.Should().BeFalse();

        // Paging the whole path both ways gives the path exactly.
        var path = new[] { stored[0], stored[1], stored[2], stored[3], stored[4], version, more[0], more[1] }.Select(m => m.Id).ToList();
        (await PageAllAsync(s, new ChatHistoryRequest { PageSize = 3 })).Should().Equal(path);
        (await PageAllAsync(s, new ChatHistoryRequest { PageSize = 2, Start = ChatHistoryStart.Oldest })).Should().Equal(path);

        // The old branch by its leaf, paged; its cursors belong to that read only.
        var oldPath = stored.Select(m => m.Id).ToList();
        (await PageAllAsync(s, new ChatHistoryRequest { PageSize = 4, LeafId = stored[9].Id })).Should().Equal(oldPath);
        var leafPage = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { PageSize = 4, LeafId = stored[9].Id });
        await FluentActions.Awaiting(() => s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { Cursor = leafPage.OlderCursor }))
            .Should().ThrowAsync<ArgumentException>();
        await FluentActions.Awaiting(() => s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { Cursor = before.OlderCursor, LeafId = stored[9].Id }))
            .Should().ThrowAsync<ArgumentException>();
        await FluentActions.Awaiting(() => s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { Cursor = before.OlderCursor, AllBranches = true }))
            .Should().ThrowAsync<ArgumentException>();

        // A path read ending inside the path (not a leaf): its ancestors and itself.
        (await s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { LeafId = stored[3].Id })).Messages.Select(m => m.Id)
            .Should().Equal(stored.Take(4).Select(m => m.Id));
    }

    [Fact]
    public async Task A_path_through_many_versions_pages_exactly_in_both_directions()
    {
        var s = await NewSessionAsync();
        var first = await AppendManyAsync(s, 3);
        if (!await SupportsBranchesAsync(s))
        {
            return;
        }

        // Twelve rounds: a question, an answer, then a regenerated answer (a branch point each round), alternating which
        // version stays active, so the active path is made of many short runs.
        var expected = first.Select(m => m.Id).ToList();
        for (var round = 0; round < 12; round++)
        {
            var question = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.User("q" + round));
            var answer = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.Assistant("a" + round));
            var again = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.Assistant("a" + round + "'") with { ParentId = question.Id });
            if (round % 2 == 0)
            {
                await s.Store.SwitchBranchAsync(s.UserId, s.Session.Id, answer.Id);
                expected.AddRange([question.Id, answer.Id]);
            }
            else
            {
                expected.AddRange([question.Id, again.Id]);
            }
        }

        foreach (var size in new[] { 1, 2, 5, 50 })
        {
            (await PageAllAsync(s, new ChatHistoryRequest { PageSize = size })).Should().Equal(expected, $"newest first, {size} at a time");
            (await PageAllAsync(s, new ChatHistoryRequest { PageSize = size, Start = ChatHistoryStart.Oldest })).Should().Equal(expected, $"oldest first, {size} at a time");
        }

        var page = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { PageSize = 6 });
        page.Siblings.Select(p => p.MessageId).Should().Equal(page.Messages.Where(m => m.Role == ChatMessageRole.Assistant && m.Sequence > first[2].Sequence).Select(m => m.Id));
        page.Siblings.Should().OnlyContain(p => p.Count == 2);

        var all = await ReadAllBranchesAsync(s);
        all.Should().HaveCount(3 + 36);
        all.Select(m => m.Sequence).Should().BeInAscendingOrder();
        var byId = all.ToDictionary(m => m.Id);
        var walked = new List<Guid>();
        for (Guid? id = expected[^1]; id is { } current; id = byId[current].ParentId)
        {
            walked.Add(current);
        }

        walked.Reverse();
        walked.Should().Equal(expected, "the parents of all branches rebuild the active path");
    }

    [Fact]
    public async Task A_batch_can_edit_and_answer_in_one_call_and_roots_are_versions_of_the_first_message()
    {
        var s = await NewSessionAsync();
        var (q1, a1, q2, _) = await ConversationAsync(s);
        if (!await SupportsBranchesAsync(s))
        {
            return;
        }

        var question = NewChatMessage.User("q2 in a batch") with { ParentId = a1.Id };
        var batch = await s.Store.AppendMessagesAsync(s.UserId, s.Session.Id, [question, NewChatMessage.Assistant("its answer") with { ParentId = question.Id }, NewChatMessage.User("q3")]);
        batch.Select(m => m.ParentId).Should().Equal(a1.Id, batch[0].Id, batch[1].Id);
        (await s.Store.GetSessionAsync(s.UserId, s.Session.Id))!.ActiveLeafId.Should().Be(batch[2].Id, "the last message of a batch is the leaf");

        // An idempotent retry of the batch stores nothing again.
        var retried = await s.Store.AppendMessagesAsync(s.UserId, s.Session.Id, [question, NewChatMessage.Assistant("its answer") with { Id = batch[1].Id, ParentId = question.Id }]);
        retried.Select(m => m.Sequence).Should().Equal(batch[0].Sequence, batch[1].Sequence);
        (await s.Store.GetSiblingsAsync(s.UserId, q2.Id)).Versions.Should().HaveCount(2);

        // A retry naming another parent is not the same message.
        await FluentActions.Awaiting(() => s.Store.AppendMessagesAsync(s.UserId, s.Session.Id, [question with { ParentId = q1.Id }]))
            .Should().ThrowAsync<ChatConflictException>();

        var root = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.User("another first question") with { ParentId = NewChatMessage.RootParent });
        root.ParentId.Should().BeNull();
        (await ReadAllAsync(s)).Select(m => m.Id).Should().Equal(root.Id);
        var roots = await s.Store.GetSiblingsAsync(s.UserId, root.Id);
        roots.ParentId.Should().BeNull();
        roots.Versions.Select(v => v.Id).Should().Equal(q1.Id, root.Id);
        var back = await s.Store.SwitchVersionAsync(s.UserId, s.Session.Id, root.Id, 0);
        back.ForkSequence.Should().BeNull("two roots share nothing");
        back.LeafId.Should().Be(batch[2].Id);
    }

    [Fact]
    public async Task Search_finds_every_branch_and_says_which_hits_are_on_the_active_path()
    {
        var s = await NewSessionAsync();
        var (_, _, q2, a2) = await ConversationAsync(s, "zebra");
        if (!await SupportsBranchesAsync(s))
        {
            return;
        }

        var edited = await s.Store.AppendVersionAsync(s.UserId, s.Session.Id, q2.Id, NewChatMessage.User("q2 zebra edited"));
        var hits = (await s.Store.SearchAsync(s.UserId, new ChatSearchRequest("zebra") { SessionId = s.Session.Id })).Items;
        hits.Select(h => h.Message.Id).Should().BeEquivalentTo([q2.Id, a2.Id, edited.Id]);
        hits.Single(h => h.Message.Id == edited.Id).IsOnActivePath.Should().BeTrue();
        hits.Where(h => h.Message.Id != edited.Id).Should().OnlyContain(h => !h.IsOnActivePath);
        hits.Single(h => h.Message.Id == a2.Id).Message.ParentId.Should().Be(q2.Id);

        // Favourites work on any branch.
        var favourite = await s.Store.SetFavoriteAsync(s.UserId, a2.Id, true);
        favourite.ParentId.Should().Be(q2.Id);
        (await s.Store.ListFavoritesAsync(s.UserId)).Items.Select(m => m.Id).Should().Equal(a2.Id);
    }

    [Fact]
    public async Task Clearing_removes_every_branch_and_the_session_is_linear_again()
    {
        var s = await NewSessionAsync();
        var (_, _, q2, _) = await ConversationAsync(s);
        if (!await SupportsBranchesAsync(s))
        {
            return;
        }

        await s.Store.AppendVersionAsync(s.UserId, s.Session.Id, q2.Id, NewChatMessage.User("q2b"));
        (await s.Store.ClearSessionAsync(s.UserId, s.Session.Id)).Should().Be(5);
        (await s.Store.GetSessionAsync(s.UserId, s.Session.Id))!.ActiveLeafId.Should().BeNull();
        (await ReadAllBranchesAsync(s)).Should().BeEmpty();
        var again = await AppendManyAsync(s, 2);
        again[0].ParentId.Should().BeNull();
        again[1].ParentId.Should().Be(again[0].Id);
        await FluentActions.Awaiting(() => s.Store.GetSiblingsAsync(s.UserId, q2.Id)).Should().ThrowAsync<ChatNotFoundException>();
    }

    [Fact]
    public async Task Bad_parents_leaves_and_switch_targets_are_refused_before_anything_is_written()
    {
        var s = await NewSessionAsync();
        var (q1, a1, q2, a2) = await ConversationAsync(s);
        var other = await NewSessionAsync();
        var elsewhere = await other.Store.AppendMessageAsync(other.UserId, other.Session.Id, NewChatMessage.User("another user's"));
        var sameUserOtherSession = await s.Store.GetOrCreateSessionAsync(s.UserId, "wf-" + Guid.NewGuid().ToString("N"));
        var mine = await s.Store.AppendMessageAsync(s.UserId, sameUserOtherSession.Id, NewChatMessage.User("my other chat"));
        if (!await SupportsBranchesAsync(s))
        {
            return;
        }

        async Task RefusedAsync<T>(Func<Task> call)
            where T : Exception
        {
            await FluentActions.Awaiting(call).Should().ThrowAsync<T>();
            (await ReadAllBranchesAsync(s)).Select(m => m.Id).Should().Equal(q1.Id, a1.Id, q2.Id, a2.Id);
        }

        await RefusedAsync<ChatNotFoundException>(() => s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.User("x") with { ParentId = mine.Id }));
        await RefusedAsync<ChatNotFoundException>(() => s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.User("x") with { ParentId = elsewhere.Id }));
        await RefusedAsync<ChatNotFoundException>(() => s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.User("x") with { ParentId = Guid.CreateVersion7() }));
        await RefusedAsync<ChatNotFoundException>(() => s.Store.AppendMessagesAsync(s.UserId, s.Session.Id, [NewChatMessage.User("ok"), NewChatMessage.User("x") with { ParentId = Guid.CreateVersion7() }]));
        var self = NewChatMessage.User("x");
        await RefusedAsync<ArgumentException>(() => s.Store.AppendMessageAsync(s.UserId, s.Session.Id, self with { ParentId = self.Id }));
        var later = NewChatMessage.User("later");
        await RefusedAsync<ArgumentException>(() => s.Store.AppendMessagesAsync(s.UserId, s.Session.Id, [NewChatMessage.User("x") with { ParentId = later.Id }, later]));
        await RefusedAsync<ArgumentException>(() => s.Store.AppendVersionAsync(s.UserId, s.Session.Id, a2.Id, NewChatMessage.User("an answer edited into a question")));
        await RefusedAsync<ArgumentException>(() => s.Store.AppendVersionAsync(s.UserId, s.Session.Id, q2.Id, NewChatMessage.User("x") with { ParentId = a1.Id }));
        await RefusedAsync<ChatNotFoundException>(() => s.Store.AppendVersionAsync(s.UserId, s.Session.Id, mine.Id, NewChatMessage.User("x")));
        await RefusedAsync<ChatNotFoundException>(() => s.Store.SwitchBranchAsync(s.UserId, s.Session.Id, mine.Id));
        await RefusedAsync<ChatNotFoundException>(() => s.Store.SwitchBranchAsync(s.UserId, s.Session.Id, elsewhere.Id));
        await RefusedAsync<ChatNotFoundException>(() => s.Store.SwitchBranchAsync(s.UserId, Guid.CreateVersion7(), q1.Id));
        await RefusedAsync<ArgumentOutOfRangeException>(() => s.Store.SwitchVersionAsync(s.UserId, s.Session.Id, q2.Id, 1));
        await RefusedAsync<ChatNotFoundException>(() => s.Store.GetSiblingsAsync(s.UserId, elsewhere.Id));
        await RefusedAsync<ChatNotFoundException>(() => s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { LeafId = mine.Id }));
        await RefusedAsync<ChatNotFoundException>(() => s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { LeafId = elsewhere.Id }));
        await RefusedAsync<ArgumentException>(() => s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { LeafId = Guid.Empty }));
        await RefusedAsync<ArgumentException>(() => s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { LeafId = q1.Id, AllBranches = true }));
        if (s.Store.Capabilities.Replies)
        {
            await RefusedAsync<ArgumentException>(() => s.Store.BeginReplyAsync(s.UserId, s.Session.Id, new NewChatReply { ParentId = NewChatMessage.RootParent }));
            await RefusedAsync<ChatNotFoundException>(() => s.Store.BeginReplyAsync(s.UserId, s.Session.Id, new NewChatReply { ParentId = mine.Id }));
        }

        (await s.Store.GetSessionAsync(s.UserId, s.Session.Id))!.ActiveLeafId.Should().BeNull("nothing branched");
    }

    /// <summary>Appends q1, a1, q2, a2 (each word followed by <paramref name="word"/> when given).</summary>
    /// <param name="s">The session.</param>
    /// <param name="word">An optional word in q2 and a2.</param>
    /// <returns>The four messages.</returns>
    protected static async Task<(StoredChatMessage Q1, StoredChatMessage A1, StoredChatMessage Q2, StoredChatMessage A2)> ConversationAsync(TestSession s, string? word = null)
    {
        var suffix = word is null ? "" : " " + word;
        var stored = await s.Store.AppendMessagesAsync(s.UserId, s.Session.Id,
            [NewChatMessage.User("q1"), NewChatMessage.Assistant("a1"), NewChatMessage.User("q2" + suffix), NewChatMessage.Assistant("a2" + suffix)]);
        return (stored[0], stored[1], stored[2], stored[3]);
    }

    /// <summary>Reads every message of every branch, in sequence order.</summary>
    /// <param name="s">The session.</param>
    /// <returns>The messages.</returns>
    protected static async Task<List<StoredChatMessage>> ReadAllBranchesAsync(TestSession s)
    {
        var all = new List<StoredChatMessage>();
        var request = new ChatHistoryRequest { AllBranches = true, Start = ChatHistoryStart.Oldest, PageSize = ChatPersistenceLimits.MaxPageSize };
        while (true)
        {
            var page = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id, request);
            all.AddRange(page.Messages);
            if (!page.HasNewer)
            {
                return all;
            }

            request = request with { Cursor = page.NewerCursor };
        }
    }

    /// <summary>Pages through a history read to its end in the request's direction and returns the ids, oldest first.</summary>
    /// <param name="s">The session.</param>
    /// <param name="request">The first page's request.</param>
    /// <returns>The ids in chronological order.</returns>
    protected static async Task<List<Guid>> PageAllAsync(TestSession s, ChatHistoryRequest request)
    {
        var pages = new List<List<Guid>>();
        var towardsOlder = request.Start == ChatHistoryStart.Newest;
        while (true)
        {
            var page = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id, request);
            page.Messages.Select(m => m.Sequence).Should().BeInAscendingOrder();
            pages.Add(page.Messages.Select(m => m.Id).ToList());
            if (!(towardsOlder ? page.HasOlder : page.HasNewer))
            {
                break;
            }

            request = request with { Cursor = towardsOlder ? page.OlderCursor : page.NewerCursor };
        }

        if (towardsOlder)
        {
            pages.Reverse();
        }

        return pages.SelectMany(p => p).ToList();
    }

    /// <summary>
    /// Whether the store keeps branches. A store that does not must say so in <see cref="IChatSessionStore.Capabilities"/>
    /// and refuse every branch operation with <see cref="NotSupportedException"/>, writing nothing.
    /// </summary>
    /// <param name="s">A session (with messages).</param>
    /// <returns><see langword="true"/> when the store keeps branches.</returns>
    protected static async Task<bool> SupportsBranchesAsync(TestSession s)
    {
        if (s.Store.Capabilities.Branches)
        {
            return true;
        }

        var before = (await ReadAllAsync(s)).Count;
        var any = Guid.CreateVersion7();
        await FluentActions.Awaiting(() => s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.User("x") with { ParentId = NewChatMessage.RootParent })).Should().ThrowAsync<NotSupportedException>();
        await FluentActions.Awaiting(() => s.Store.GetSiblingsAsync(s.UserId, any)).Should().ThrowAsync<NotSupportedException>();
        await FluentActions.Awaiting(() => s.Store.SwitchBranchAsync(s.UserId, s.Session.Id, any)).Should().ThrowAsync<NotSupportedException>();
        await FluentActions.Awaiting(() => s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { LeafId = any })).Should().ThrowAsync<NotSupportedException>();
        await FluentActions.Awaiting(() => s.Store.GetMessagesAsync(s.UserId, s.Session.Id, new ChatHistoryRequest { AllBranches = true })).Should().ThrowAsync<NotSupportedException>();
        (await ReadAllAsync(s)).Should().HaveCount(before);
        return false;
    }
}
