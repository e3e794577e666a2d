using ChatPersistence.Sdk.ChangeFeed;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.ConformanceTests;

/// <summary>
/// The change-feed contract, seen from a second store instance: every change once, in order, scoped to the watched user
/// or session, resumable by position.
/// </summary>
/// <typeparam name="TFixture">The store's feed fixture.</typeparam>
public abstract class ChangeFeedSuite<TFixture> : IClassFixture<TFixture>
    where TFixture : ChangeFeedFixture
{
    /// <summary>Creates the suite.</summary>
    /// <param name="fixture">The fixture.</param>
    protected ChangeFeedSuite(TFixture fixture) => Fixture = fixture;

    /// <summary>The fixture.</summary>
    protected TFixture Fixture { get; }

    /// <summary>Every kind of change made by one instance is seen by the other exactly once and in order.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Every_change_is_seen_once_in_order_by_the_other_instance()
    {
        var user = await Fixture.CreateUserAsync();
        var store = Fixture.Writer;
        await using var watch = FeedWatch.Start(Fixture.Feed, user);
        var session = await store.GetOrCreateSessionAsync(user, "wf-" + Guid.NewGuid().ToString("N"));
        var first = await store.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("a"), NewChatMessage.Assistant("b")]);
        var second = await store.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("c")]);
        _ = await store.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("c") with { Id = second[0].Id }]);
        await store.RenameSessionAsync(user, session.Id, "renamed");
        await store.SetFavoriteAsync(user, first[1].Id, true);
        await store.SetFavoriteAsync(user, first[1].Id, false);
        await store.ClearSessionAsync(user, session.Id);
        await store.DeleteSessionAsync(user, session.Id);

        var changes = await watch.WaitForAsync(7);
        await Task.Delay(300);
        changes = watch.Received;

        changes.Select(c => c.Kind).Should().Equal(
            ChatChangeKind.MessagesAppended, ChatChangeKind.MessagesAppended, ChatChangeKind.SessionRenamed,
            ChatChangeKind.FavoriteSet, ChatChangeKind.FavoriteSet, ChatChangeKind.SessionCleared, ChatChangeKind.SessionDeleted);
        changes.Should().OnlyContain(c => c.UserId == user && c.SessionId == session.Id);
        changes.Select(c => c.Position).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        changes[0].Sequence.Should().Be(first[1].Sequence);
        changes[1].Sequence.Should().Be(second[0].Sequence);
        changes[3].Should().Match<ChatChange>(c => c.MessageId == first[1].Id && c.Sequence == first[1].Sequence && c.IsFavorite == true);
        changes[4].IsFavorite.Should().BeFalse();
    }

    /// <summary>A watch of one session sees only that session; other users' changes never reach a watcher.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task A_watch_sees_only_its_user_and_session()
    {
        var user = await Fixture.CreateUserAsync();
        var other = await Fixture.CreateUserAsync();
        var store = Fixture.Writer;
        var watched = await store.GetOrCreateSessionAsync(user, "wf-a-" + Guid.NewGuid().ToString("N"));
        var unwatched = await store.GetOrCreateSessionAsync(user, "wf-b-" + Guid.NewGuid().ToString("N"));
        var foreign = await store.GetOrCreateSessionAsync(other, "wf-c-" + Guid.NewGuid().ToString("N"));
        await using var sessionWatch = FeedWatch.Start(Fixture.Feed, user, watched.Id);
        await using var userWatch = FeedWatch.Start(Fixture.Feed, user);

        await store.AppendMessagesAsync(other, foreign.Id, [NewChatMessage.User("x")]);
        await store.AppendMessagesAsync(user, unwatched.Id, [NewChatMessage.User("y")]);
        await store.AppendMessagesAsync(user, watched.Id, [NewChatMessage.User("z")]);

        (await sessionWatch.WaitForAsync(1)).Should().ContainSingle().Which.SessionId.Should().Be(watched.Id);
        var all = await userWatch.WaitForAsync(2);
        await Task.Delay(300);
        userWatch.Received.Select(c => c.SessionId).Should().Equal(unwatched.Id, watched.Id);
        sessionWatch.Received.Should().HaveCount(1);
        all.Should().OnlyContain(c => c.UserId == user);
    }

    /// <summary>A watch resumed after a position replays the later changes first, then goes on live, without duplicates.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task A_watch_resumes_after_a_position()
    {
        var user = await Fixture.CreateUserAsync();
        var store = Fixture.Writer;
        var session = await store.GetOrCreateSessionAsync(user, "wf-" + Guid.NewGuid().ToString("N"));
        long resumeAfter;
        await using (var watch = FeedWatch.Start(Fixture.Feed, user))
        {
            await store.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("1")]);
            resumeAfter = (await watch.WaitForAsync(1))[0].Position;
        }

        await store.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("2")]);
        await store.RenameSessionAsync(user, session.Id, "t");
        await using var resumed = FeedWatch.Start(Fixture.Feed, user, afterPosition: resumeAfter);
        await resumed.WaitForAsync(2);
        await store.ClearSessionAsync(user, session.Id);
        await resumed.WaitForAsync(3);
        await Task.Delay(300);
        resumed.Received.Select(c => c.Kind).Should().Equal(ChatChangeKind.MessagesAppended, ChatChangeKind.SessionRenamed, ChatChangeKind.SessionCleared);
        resumed.Received.Select(c => c.Position).Should().OnlyHaveUniqueItems().And.OnlyContain(p => p > resumeAfter);
    }

    /// <summary>
    /// A reply in progress is announced as it grows (lengths only, coalesced, the latest length delivered, volatile: carrying
    /// the position of the last logged change), when a stop is requested and when it ends (with its status); a watch resumed
    /// after a position replays the logged kinds only.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task A_reply_is_announced_as_it_grows_when_asked_to_stop_and_when_it_ends()
    {
        var user = await Fixture.CreateUserAsync();
        var store = Fixture.Writer;
        store.Capabilities.Replies.Should().BeTrue("every built-in store keeps replies in progress");
        var session = await store.GetOrCreateSessionAsync(user, "wf-" + Guid.NewGuid().ToString("N"));
        await using var watch = FeedWatch.Start(Fixture.Feed, user);
        await using var otherSession = FeedWatch.Start(Fixture.Feed, user, Guid.CreateVersion7());
        await store.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("question")]);
        var reply = await store.BeginReplyAsync(user, session.Id, new NewChatReply());
        var appended = await watch.WaitForAsync(2);

        var written = 0L;
        for (var i = 0; i < 12; i++)
        {
            var chunk = $"part {i} 🎉 ";
            await store.GrowReplyAsync(user, reply.Id, written, chunk);
            written += chunk.Length;
            await Task.Delay(20);
        }

        // The latest length arrives (coalescing may skip intermediate ones, never the last).
        await watch.WaitUntilAsync(r => r.Any(c => c.Kind == ChatChangeKind.ReplyGrew && c.Length == written), $"a ReplyGrew of length {written}");
        await store.StopReplyAsync(user, reply.Id);
        await watch.WaitUntilAsync(r => r.Any(c => c.Kind == ChatChangeKind.ReplyStopRequested), "ReplyStopRequested");
        await store.FinishReplyAsync(user, reply.Id, new ChatReplyFinish { Status = ChatReplyStatus.Stopped, Reason = ChatReplyReason.CallerStopped });
        var received = await watch.WaitUntilAsync(r => r.Any(c => c.Kind == ChatChangeKind.ReplyEnded), "ReplyEnded");
        await Task.Delay(300);
        received = watch.Received;

        var grew = received.Where(c => c.Kind == ChatChangeKind.ReplyGrew).ToList();
        grew.Should().NotBeEmpty().And.HaveCountLessThanOrEqualTo(12);
        grew.Should().OnlyContain(c => c.MessageId == reply.Id && c.SessionId == session.Id && c.Sequence == reply.Sequence && c.IsVolatile);
        grew.Select(c => c.Length!.Value).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems().And.OnlyContain(l => l > 0 && l <= written);
        grew.Should().OnlyContain(c => c.Position == appended[1].Position, "a growth carries the position of the last logged change delivered before it");
        var logged = received.Where(c => !c.IsVolatile).ToList();
        logged.Select(c => c.Kind).Should().Equal(
            ChatChangeKind.MessagesAppended, ChatChangeKind.MessagesAppended, ChatChangeKind.ReplyStopRequested, ChatChangeKind.ReplyEnded);
        logged[1].Sequence.Should().Be(reply.Sequence);
        logged[2].Should().Match<ChatChange>(c => c.MessageId == reply.Id && c.Sequence == reply.Sequence && c.Status == null);
        logged[3].Should().Match<ChatChange>(c => c.MessageId == reply.Id && c.Sequence == reply.Sequence && c.Status == ChatReplyStatus.Stopped);
        logged.Select(c => c.Position).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        received.ToList().IndexOf(grew[^1]).Should().BeLessThan(received.ToList().IndexOf(logged[3]), "no growth is reported after the end");
        otherSession.Received.Should().BeEmpty("the changes are scoped to their session");

        // A second reply that completes: its end says Complete. A resumed watch replays logged kinds only.
        var second = await store.BeginReplyAsync(user, session.Id, new NewChatReply());
        await store.GrowReplyAsync(user, second.Id, 0, "x");
        await store.FinishReplyAsync(user, second.Id, new ChatReplyFinish { Status = ChatReplyStatus.Complete, Offset = 1, Text = "y" });
        var ended = await watch.WaitUntilAsync(r => r.Count(c => c.Kind == ChatChangeKind.ReplyEnded) == 2, "the second ReplyEnded");
        ended.Last(c => c.Kind == ChatChangeKind.ReplyEnded).Status.Should().Be(ChatReplyStatus.Complete);
        await using var resumed = FeedWatch.Start(Fixture.Feed, user, afterPosition: appended[0].Position);
        var replayed = await resumed.WaitUntilAsync(r => r.Count(c => c.Kind == ChatChangeKind.ReplyEnded) == 2, "the replayed ends");
        replayed.Should().OnlyContain(c => !c.IsVolatile);
        replayed.Select(c => c.Kind).Should().Equal(
            ChatChangeKind.MessagesAppended, ChatChangeKind.ReplyStopRequested, ChatChangeKind.ReplyEnded, ChatChangeKind.MessagesAppended, ChatChangeKind.ReplyEnded);
    }

    /// <summary>Concurrent appends to several sessions: each session's appends arrive once each, in sequence order.</summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task Concurrent_appends_arrive_once_each_in_sequence_order_per_session()
    {
        var user = await Fixture.CreateUserAsync();
        var store = Fixture.Writer;
        var sessions = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => store.GetOrCreateSessionAsync(user, $"wf-{i}-{Guid.NewGuid():N}")));
        await using var watch = FeedWatch.Start(Fixture.Feed, user);
        const int PerSession = 25;
        var appended = await Task.WhenAll(sessions.Select(async s =>
        {
            var sequences = new List<long>();
            for (var i = 0; i < PerSession; i++)
            {
                sequences.Add((await store.AppendMessagesAsync(user, s.Id, [NewChatMessage.User("m" + i)]))[0].Sequence);
            }

            return (s.Id, sequences);
        }));

        await watch.WaitForAsync(sessions.Length * PerSession);
        await Task.Delay(300);
        var received = watch.Received;
        received.Should().HaveCount(sessions.Length * PerSession);
        foreach (var (id, sequences) in appended)
        {
            received.Where(c => c.SessionId == id).Select(c => c.Sequence!.Value).Should().Equal(sequences);
        }
    }

    /// <summary>
    /// An edit (an append under a message that is not the active leaf) and a switch announce the change of active path with
    /// the new leaf and the last message the old and new paths share; a plain append and a switch to a message already on
    /// the path do not.
    /// </summary>
    /// <returns>A task.</returns>
    [Fact]
    public async Task A_change_of_active_path_is_announced_with_where_the_paths_fork()
    {
        var user = await Fixture.CreateUserAsync();
        var store = Fixture.Writer;
        var session = await store.GetOrCreateSessionAsync(user, "wf-" + Guid.NewGuid().ToString("N"));
        var stored = await store.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("q1"), NewChatMessage.Assistant("a1"), NewChatMessage.User("q2"), NewChatMessage.Assistant("a2")]);
        if (!store.Capabilities.Branches)
        {
            await FluentActions.Awaiting(() => store.SwitchBranchAsync(user, session.Id, stored[0].Id)).Should().ThrowAsync<NotSupportedException>();
            return;
        }

        await using var watch = FeedWatch.Start(Fixture.Feed, user, session.Id);
        var q3 = await store.AppendMessageAsync(user, session.Id, NewChatMessage.User("q3"));
        var edited = await store.AppendVersionAsync(user, session.Id, stored[2].Id, NewChatMessage.User("q2b"));
        await store.SwitchBranchAsync(user, session.Id, stored[2].Id);
        (await store.SwitchBranchAsync(user, session.Id, stored[0].Id)).Changed.Should().BeFalse();
        var last = await store.AppendMessageAsync(user, session.Id, NewChatMessage.Assistant("a3"));

        await watch.WaitForAsync(5);
        await Task.Delay(300);
        // Delivery is at least once: a feed that connects after the watch began may also report the append made just before
        // it (PostgreSQL's first connection catches up a margin of the log). That hint is not part of what is checked here.
        var received = watch.Received.Where(c => !(c.Kind == ChatChangeKind.MessagesAppended && c.Sequence == stored[^1].Sequence)).ToList();
        received.Should().HaveCount(5);
        received.Select(c => c.Position).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        var paths = received.Where(c => c.Kind == ChatChangeKind.ActivePathChanged).ToList();
        paths.Select(c => (c.MessageId, c.Sequence, c.ForkSequence)).Should().Equal(
            (edited.Id, edited.Sequence, stored[1].Sequence),
            (q3.Id, q3.Sequence, stored[1].Sequence));
        paths.Should().OnlyContain(c => c.SessionId == session.Id && !c.IsVolatile);
        received.Where(c => c.Kind == ChatChangeKind.MessagesAppended).Select(c => c.Sequence).Should().Equal(q3.Sequence, edited.Sequence, last.Sequence);
        received[^1].Kind.Should().Be(ChatChangeKind.MessagesAppended, "the plain append after the switch only extends the path");
        received.IndexOf(paths[1]).Should().Be(3, "the switch comes after both events of the edit");
    }
}
