using System.Text;
using System.Text.Json;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace ChatPersistence.Sdk.Tests.Replies;

public sealed class ChatReplyWriterTests
{
    private const string User = "user-1";
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(200);

    private readonly InMemoryChatSessionStore _inner = new();
    private readonly CountingReplyStore _store;
    private readonly FakeTimeProvider _time = new();

    public ChatReplyWriterTests() => _store = new CountingReplyStore(_inner);

    [Fact]
    public async Task A_surrogate_pair_split_across_two_appends_is_stored_whole_and_every_flush_is_well_formed()
    {
        await using var writer = await StartAsync();

        writer.Append("a\uD83D");
        await writer.FlushAsync();
        writer.FlushedLength.Should().Be(1, "the high surrogate waits for its other half");
        writer.Length.Should().Be(2);
        writer.Append("\uDE00b");
        await writer.FlushAsync();
        var stored = await writer.CompleteAsync();

        stored.Content.Should().Be("a\uD83D\uDE00b");
        stored.Status.Should().Be(ChatReplyStatus.Complete);
        _store.Grows.Select(g => g.Text).Should().Equal("a", "\uD83D\uDE00b");
    }

    [Fact]
    public async Task A_high_surrogate_held_back_at_the_end_goes_with_the_end()
    {
        await using var writer = await StartAsync();

        writer.Append("x\uD83D");
        writer.Append("\uDE00");
        var stored = await writer.CompleteAsync();

        stored.Content.Should().Be("x\uD83D\uDE00");
        _store.GrowCount.Should().Be(0, "nothing was flushed: the whole text went with the end");
    }

    [Fact]
    public async Task U0000_is_stored_exactly()
    {
        await using var writer = await StartAsync();

        writer.Append("x\0");
        await writer.FlushAsync();
        writer.Append("\0y");
        var stored = await writer.CompleteAsync();

        stored.Content.Should().Be("x\0\0y");
        (await _store.ReadReplyAsync(User, writer.Message.Id)).Text.Should().Be("x\0\0y");
    }

    [Fact]
    public async Task A_1_MB_answer_equals_the_appended_chunks_concatenated()
    {
        var expected = new StringBuilder();
        await using var writer = await StartAsync();
        for (var i = 0; i < 1000; i++)
        {
            var chunk = new string((char)('a' + (i % 26)), 999) + "\uD83D";
            expected.Append(chunk);
            writer.Append(chunk);
            writer.Append("\uDE00");
            expected.Append('\uDE00');
            if (i % 100 == 0)
            {
                await writer.FlushAsync();
            }
        }

        var stored = await writer.CompleteAsync();

        stored.Content.Length.Should().Be(1_001_000);
        stored.Content.Should().Be(expected.ToString());
    }

    [Fact]
    public async Task A_flush_dropped_after_commit_is_retried_with_the_same_offset_and_text_and_stores_nothing_twice()
    {
        await using var writer = await StartAsync();
        writer.Append("Hello, ");
        await writer.FlushAsync();
        writer.Append("world");
        _store.DropAfterCommit(1);

        var first = async () => await writer.FlushAsync();
        (await first.Should().ThrowAsync<ChatPersistenceException>()).Which.IsTransient.Should().BeTrue();
        writer.Append("!");
        await writer.FlushAsync();
        await writer.FlushAsync();
        var stored = await writer.CompleteAsync();

        _store.Grows.Should().Equal((0L, "Hello, "), (7L, "world"), (7L, "world"), (12L, "!"));
        stored.Content.Should().Be("Hello, world!");
    }

    [Fact]
    public async Task A_chunk_dropped_after_commit_is_sent_again_before_the_end()
    {
        await using var writer = await StartAsync();
        writer.Append("abc");
        _store.DropAfterCommit(1);
        await FluentActions.Awaiting(async () => await writer.FlushAsync()).Should().ThrowAsync<ChatPersistenceException>();
        writer.Append("def");

        var stored = await writer.CompleteAsync();

        _store.Grows.Should().Equal((0L, "abc"), (0L, "abc"));
        stored.Content.Should().Be("abcdef");
        _store.FinishCount.Should().Be(1);
    }

    [Fact]
    public async Task The_background_flush_retries_a_chunk_dropped_after_commit_with_the_same_offset_and_text()
    {
        await using var writer = await StartAsync();
        _store.DropAfterCommit(1);
        writer.Append("once");

        _time.Advance(Interval);
        await WaitUntilAsync(() => _store.GrowCount >= 1);
        writer.Append(" only");
        for (var turns = 0; _store.GrowCount < 2; turns++)
        {
            turns.Should().BeLessThan(2000, "the dropped chunk must be retried");
            _time.Advance(Interval); // the retry waits a growing delay
            await Task.Delay(5);
        }

        _store.Grows.Take(2).Should().Equal((0L, "once"), (0L, "once"));
        var stored = await writer.CompleteAsync();
        stored.Content.Should().Be("once only");
    }

    [Fact]
    public async Task Appends_from_several_threads_lose_nothing()
    {
        await using var writer = await StartAsync();
        var tasks = Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 2000; i++)
            {
                writer.Append(t.ToString(System.Globalization.CultureInfo.InvariantCulture));
                if (i % 100 == 0)
                {
                    _time.Advance(TimeSpan.FromMilliseconds(50));
                }
            }
        }));
        await Task.WhenAll(tasks);

        var stored = await writer.CompleteAsync();

        writer.Length.Should().Be(8000);
        stored.Content.Should().HaveLength(8000);
        stored.Content.GroupBy(c => c).Select(g => (g.Key, g.Count())).Should().BeEquivalentTo(new[] { ('0', 2000), ('1', 2000), ('2', 2000), ('3', 2000) });
    }

    [Fact]
    public async Task Round_trips_are_bounded_by_the_flush_interval_whatever_the_number_of_appends()
    {
        await using var writer = await StartAsync();
        var expected = new StringBuilder();
        var steps = 0;

        for (var i = 0; i < 400; i++)
        {
            writer.Append("token ");
            expected.Append("token ");
            if (i % 10 == 9)
            {
                _time.Advance(TimeSpan.FromMilliseconds(50));
                steps++;
                await Task.Yield();
            }
        }

        var elapsed = TimeSpan.FromMilliseconds(50 * steps);
        await WaitUntilAsync(() => _store.GrowCount >= 1);
        var stored = await writer.CompleteAsync();

        _store.GrowCount.Should().BeLessThanOrEqualTo((int)(elapsed / Interval) + 1, "at most one flush per interval, 400 appends notwithstanding");
        _store.FinishCount.Should().Be(1);
        stored.Content.Should().Be(expected.ToString());
        _store.Grows.Sum(g => g.Text.Length).Should().BeLessThanOrEqualTo(expected.Length, "no text is sent twice");
    }

    [Fact]
    public async Task An_idle_writer_sends_only_a_heartbeat_after_a_third_of_the_lease()
    {
        await using var writer = await StartAsync(lease: TimeSpan.FromSeconds(9));

        _time.Advance(TimeSpan.FromSeconds(3));
        await WaitUntilAsync(() => _store.GrowCount >= 1);

        _store.Grows.Should().Equal((0L, ""));
        var stored = await writer.CompleteAsync();
        stored.Content.Should().BeEmpty();
    }

    [Fact]
    public async Task A_stop_requested_elsewhere_cancels_StopRequested_and_disposing_stores_the_reply_as_stopped()
    {
        var writer = await StartAsync();
        writer.Append("partial");
        await _store.StopReplyAsync(User, writer.Message.Id);
        writer.StopRequested.IsCancellationRequested.Should().BeFalse();

        await writer.FlushAsync();
        writer.StopRequested.IsCancellationRequested.Should().BeTrue();
        await writer.DisposeAsync();

        var stored = await ReadAsync(writer.Message.Id);
        stored.Status.Should().Be(ChatReplyStatus.Stopped);
        stored.Reason.Should().Be(ChatReplyReason.StopRequested);
        stored.Content.Should().Be("partial");
    }

    [Fact]
    public async Task With_the_change_feed_a_stop_requested_elsewhere_is_learnt_without_a_flush()
    {
        var session = await _store.GetOrCreateSessionAsync(User, "wf");
        await using var writer = await ChatReplyWriter.StartAsync(
            _store, User, session.Id, new NewChatReply(),
            new ChatReplyWriterOptions { FlushInterval = Interval, TimeProvider = _time, ChangeFeed = _inner });
        writer.Append("thinking");
        await writer.FlushAsync();
        var grows = _store.GrowCount;

        // The fake clock does not move: no flush or heartbeat happens; only the feed can tell the writer.
        await _inner.StopReplyAsync(User, writer.Message.Id);
        await WaitUntilAsync(() => writer.StopRequested.IsCancellationRequested);

        _store.GrowCount.Should().Be(grows, "the stop came through the feed, not a flush");
        var stored = await writer.EndAsync(ChatReplyStatus.Stopped, ChatReplyReason.StopRequested);
        stored.Status.Should().Be(ChatReplyStatus.Stopped);
        stored.Content.Should().Be("thinking");
    }

    [Fact]
    public async Task Disposing_without_an_end_stores_the_text_so_far_as_interrupted()
    {
        var writer = await StartAsync();
        writer.Append("half an ");
        await writer.FlushAsync();
        writer.Append("answer");

        await writer.DisposeAsync();

        var stored = await ReadAsync(writer.Message.Id);
        stored.Status.Should().Be(ChatReplyStatus.Interrupted);
        stored.Reason.Should().Be(ChatReplyReason.Failed);
        stored.Content.Should().Be("half an answer");
    }

    [Fact]
    public async Task EndAsync_writes_the_tail_status_reason_detail_and_metadata_in_one_call()
    {
        await using var writer = await StartAsync();
        writer.Append("so far");
        using var metadata = JsonDocument.Parse("""{"modelId":"m"}""");

        var stored = await writer.EndAsync(ChatReplyStatus.Stopped, ChatReplyReason.CallerStopped, "the caller stopped reading", metadata.RootElement);

        _store.GrowCount.Should().Be(0);
        _store.FinishCount.Should().Be(1);
        stored.Status.Should().Be(ChatReplyStatus.Stopped);
        stored.Reason.Should().Be(ChatReplyReason.CallerStopped);
        stored.ReasonDetail.Should().Be("the caller stopped reading");
        stored.Content.Should().Be("so far");
        stored.Metadata.GetProperty("modelId").GetString().Should().Be("m");
        (await writer.CompleteAsync()).Should().BeSameAs(stored, "only the first end counts");
        writer.Invoking(w => w.Append("more")).Should().Throw<InvalidOperationException>();
    }

    [Fact]
    public async Task A_reply_ended_in_the_store_ends_the_writer_quietly_and_Complete_returns_the_stored_reply()
    {
        await using var writer = await StartAsync();
        writer.Append("kept");
        await writer.FlushAsync();
        await _store.FinishReplyAsync(User, writer.Message.Id, new ChatReplyFinish { Status = ChatReplyStatus.Interrupted, Reason = ChatReplyReason.Failed });
        writer.Append("lost");

        await FluentActions.Awaiting(async () => await writer.FlushAsync()).Should().ThrowAsync<ChatReplyEndedException>();
        writer.Append("ignored");
        var stored = await writer.CompleteAsync();

        stored.Status.Should().Be(ChatReplyStatus.Interrupted, "the first end wins");
        stored.Content.Should().Be("kept");
    }

    [Fact]
    public async Task A_reply_whose_session_was_cleared_ends_the_writer_and_Complete_says_it_is_gone()
    {
        var writer = await StartAsync();
        writer.Append("text");
        await _store.ClearSessionAsync(User, writer.Message.SessionId);

        await FluentActions.Awaiting(async () => await writer.FlushAsync()).Should().ThrowAsync<ChatNotFoundException>();
        writer.Append("ignored");
        await FluentActions.Awaiting(() => writer.CompleteAsync()).Should().ThrowAsync<ChatNotFoundException>();
        await writer.DisposeAsync();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Text_over_the_size_limit_ends_the_reply_as_too_large_with_the_text_that_fit(bool flushFirst)
    {
        var small = new InMemoryChatSessionStore(new ChatPersistenceOptions { MaxContentBytes = 10 });
        var session = await small.GetOrCreateSessionAsync(User, "wf");
        await using var writer = await ChatReplyWriter.StartAsync(small, User, session.Id, new NewChatReply(), new ChatReplyWriterOptions { TimeProvider = _time });
        writer.Append("0123456789abcdefghijklmnopqrstuvwxyz");
        if (flushFirst)
        {
            await FluentActions.Awaiting(async () => await writer.FlushAsync()).Should().ThrowAsync<ChatReplyEndedException>();
        }

        var stored = await writer.CompleteAsync();

        stored.Status.Should().Be(ChatReplyStatus.Interrupted);
        stored.Reason.Should().Be(ChatReplyReason.TooLarge);
        stored.Content.Should().NotBeEmpty();
        "0123456789abcdefghijklmnopqrstuvwxyz".Should().StartWith(stored.Content);
        stored.Content.Length.Should().BeLessThanOrEqualTo(10);
    }

    [Fact]
    public async Task A_flush_interval_out_of_range_is_refused_before_anything_is_written()
    {
        var session = await _store.GetOrCreateSessionAsync(User, "wf");
        var start = () => ChatReplyWriter.StartAsync(_store, User, session.Id, new NewChatReply(), new ChatReplyWriterOptions { FlushInterval = TimeSpan.Zero });

        await start.Should().ThrowAsync<ArgumentOutOfRangeException>();
        (await _store.GetMessagesAsync(User, session.Id)).Messages.Should().BeEmpty();
    }

    private async Task<ChatReplyWriter> StartAsync(TimeSpan? lease = null)
    {
        var session = await _store.GetOrCreateSessionAsync(User, "wf");
        return await ChatReplyWriter.StartAsync(
            _store,
            User,
            session.Id,
            new NewChatReply { Lease = lease },
            new ChatReplyWriterOptions { FlushInterval = Interval, TimeProvider = _time });
    }

    private async Task<StoredChatMessage> ReadAsync(Guid id)
    {
        var page = await _inner.GetMessagesAsync(User, (await _inner.GetOrCreateSessionAsync(User, "wf")).Id);
        return page.Messages.Single(m => m.Id == id);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        // Waits for the background flush to catch up with the fake clock; fails (never passes) when it does not.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(5, cts.Token);
        }
    }
}
