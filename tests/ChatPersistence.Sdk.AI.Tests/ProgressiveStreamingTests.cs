using FluentAssertions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ChatPersistence.Sdk.AI.Tests;

/// <summary>PersistentChatClient streaming over a store that keeps replies in progress (issue 26).</summary>
public sealed class ProgressiveStreamingTests
{
    private readonly InMemoryChatSessionStore _durable = new();
    private readonly FakeChatClient _model = new();

    [Fact]
    public async Task A_completed_stream_is_stored_in_exactly_the_form_a_reply_stored_at_the_end_has()
    {
        var progressive = new ChatClientBuilder(_model).UseChatPersistence(_durable).Build();
        var otherStore = new InMemoryChatSessionStore();
        var atTheEnd = new ChatClientBuilder(new FakeChatClient()).UseChatPersistence(new NoRepliesStore(otherStore)).Build();

        var updates = await progressive.GetStreamingResponseAsync("hello world", TestHost.Conversation("alice", "wf-1")).ToListAsync();
        await atTheEnd.GetStreamingResponseAsync("hello world", TestHost.Conversation("alice", "wf-1")).ToListAsync();

        updates.Should().HaveCount(_model.Yielded.Count);
        var stored = await StoredAsync(_durable);
        var reference = await StoredAsync(otherStore);
        stored.Select(m => (m.Role, m.Content, m.Status)).Should().Equal(reference.Select(m => (m.Role, m.Content, m.Status)));
        stored[1].Status.Should().Be(ChatReplyStatus.Complete);
        stored[1].Content.Should().Be(FakeChatClient.ReplyText(1, "hello world"));
        stored[1].Metadata.GetRawText().Should().Be(reference[1].Metadata.GetRawText(), "model id, response id, usage and finish reason as today");
    }

    [Fact]
    public async Task Tool_calls_before_the_text_are_stored_complete_before_the_live_reply_as_today()
    {
        IReadOnlyList<ChatResponseUpdate> Script() =>
        [
            new(ChatRole.Assistant, [new FunctionCallContent("call-1", "weather", new Dictionary<string, object?> { ["city"] = "Paris" })]) { MessageId = "m1", ModelId = "tool-model", ResponseId = "r1" },
            new(ChatRole.Tool, [new FunctionResultContent("call-1", "sunny")]) { MessageId = "m2", ResponseId = "r1" },
            new(ChatRole.Assistant, "It is ") { MessageId = "m3", ResponseId = "r1" },
            new(ChatRole.Assistant, "sunny.") { MessageId = "m3", ResponseId = "r1" },
            new(ChatRole.Assistant, [new UsageContent(new UsageDetails { InputTokenCount = 3, OutputTokenCount = 2 })]) { MessageId = "m3", FinishReason = ChatFinishReason.Stop },
        ];
        var otherStore = new InMemoryChatSessionStore();
        var progressive = new ChatClientBuilder(new StreamScriptClient(Script())).UseChatPersistence(_durable).Build();
        var atTheEnd = new ChatClientBuilder(new StreamScriptClient(Script())).UseChatPersistence(new NoRepliesStore(otherStore)).Build();

        await progressive.GetStreamingResponseAsync("weather?", TestHost.Conversation("alice", "wf-1")).ToListAsync();
        await atTheEnd.GetStreamingResponseAsync("weather?", TestHost.Conversation("alice", "wf-1")).ToListAsync();

        var stored = await StoredAsync(_durable);
        var reference = await StoredAsync(otherStore);
        stored.Select(m => m.Role).Should().Equal(ChatMessageRole.User, ChatMessageRole.Assistant, ChatMessageRole.Tool, ChatMessageRole.Assistant);
        stored.Select(m => (m.Role, m.Content, m.Status, m.Metadata.GetRawText()))
            .Should().Equal(reference.Select(m => (m.Role, m.Content, m.Status, m.Metadata.GetRawText())));
        stored[3].Content.Should().Be("It is sunny.");
    }

    [Fact]
    public async Task A_caller_that_stops_reading_keeps_the_text_so_far_as_stopped()
    {
        var chat = new ChatClientBuilder(_model).UseChatPersistence(_durable).Build();
        var read = new List<string>();

        await foreach (var update in chat.GetStreamingResponseAsync("a long answer please", TestHost.Conversation("alice", "wf-1")))
        {
            read.Add(update.Text);
            if (read.Count == 2)
            {
                break;
            }
        }

        var stored = await StoredAsync(_durable);
        stored.Should().HaveCount(2);
        stored[1].Status.Should().Be(ChatReplyStatus.Stopped);
        stored[1].Reason.Should().Be(ChatReplyReason.CallerStopped);
        stored[1].Content.Should().Be(string.Concat(read));
        stored[1].Metadata.GetProperty(ChatMessageMetadataKeys.ModelId).GetString().Should().Be("fake-model");
    }

    [Fact]
    public async Task A_cancelled_stream_keeps_the_text_so_far_as_stopped_and_throws()
    {
        var chat = new ChatClientBuilder(_model).UseChatPersistence(_durable).Build();
        using var cts = new CancellationTokenSource();
        var read = new List<string>();

        var act = async () =>
        {
            await foreach (var update in chat.GetStreamingResponseAsync("a long answer please", TestHost.Conversation("alice", "wf-1"), cts.Token))
            {
                read.Add(update.Text);
                if (read.Count == 3)
                {
                    await cts.CancelAsync();
                }
            }
        };

        await act.Should().ThrowAsync<OperationCanceledException>();
        var stored = await StoredAsync(_durable);
        stored[1].Status.Should().Be(ChatReplyStatus.Stopped);
        stored[1].Reason.Should().Be(ChatReplyReason.CallerStopped);
        stored[1].Content.Should().Be(string.Concat(read));
    }

    [Fact]
    public async Task A_model_that_fails_mid_stream_leaves_the_reply_interrupted_with_the_detail_and_the_exception_propagates()
    {
        var chat = new ChatClientBuilder(_model).UseChatPersistence(_durable).Build();
        _model.FailWith = new HttpRequestException("connection reset");
        _model.FailAfterUpdates = 2;

        var failed = async () => await chat.GetStreamingResponseAsync("q1", TestHost.Conversation("alice", "wf-1")).ToListAsync();

        await failed.Should().ThrowAsync<HttpRequestException>();
        var stored = await StoredAsync(_durable);
        stored.Should().HaveCount(2);
        stored[1].Status.Should().Be(ChatReplyStatus.Interrupted);
        stored[1].Reason.Should().Be(ChatReplyReason.Failed);
        stored[1].ReasonDetail.Should().Be("HttpRequestException: connection reset");
        stored[1].Content.Should().Be("reply 1:");
    }

    [Fact]
    public async Task A_stop_requested_elsewhere_cancels_the_model_call_and_ends_the_stream_without_an_error()
    {
        var model = new StreamScriptClient([new(ChatRole.Assistant, "Once upon") { MessageId = "m1" }, new(ChatRole.Assistant, " a time") { MessageId = "m1" }])
        {
            HangAfterUpdates = true,
        };
        var chat = new ChatClientBuilder(model).UseChatPersistence(_durable).Build();
        var stopper = async () =>
        {
            await model.Yielded.Task;
            var reply = await WaitForStreamingAsync(_durable);
            await _durable.StopReplyAsync("alice", reply.Id);
        };

        // Bounded: a stop that is never heard fails the test instead of hanging the run.
        var stopping = Task.Run(stopper);
        var updates = await chat.GetStreamingResponseAsync("tell me a story", TestHost.Conversation("alice", "wf-1")).ToListAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        await stopping;

        updates.Should().HaveCount(2);
        var stored = await StoredAsync(_durable);
        stored[1].Status.Should().Be(ChatReplyStatus.Stopped);
        stored[1].Reason.Should().Be(ChatReplyReason.StopRequested);
        stored[1].Content.Should().Be("Once upon a time");
    }

    [Fact]
    public async Task Built_over_the_registered_store_the_writer_hears_a_stop_from_the_change_feed_without_flushing()
    {
        // The writer's clock never moves: no flush or heartbeat ever runs, so only the registered store's change feed can
        // tell the writer that Stop was pressed elsewhere while the model is silent (a long tool call).
        var services = new ServiceCollection();
        services.AddChatPersistence().UseInMemory();
        var model = new StreamScriptClient([new(ChatRole.Assistant, "Thinking") { MessageId = "m1" }]) { HangAfterUpdates = true };
        services.AddChatClient(model).UseChatPersistence(configure: o => o.ReplyWriterOptions = new ChatReplyWriterOptions { TimeProvider = new FakeTimeProvider() });
        await using var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<IChatSessionStore>();
        var chat = provider.GetRequiredService<IChatClient>();
        var stopper = async () =>
        {
            await model.Yielded.Task;
            var reply = await WaitForStreamingAsync(store);
            await store.StopReplyAsync("alice", reply.Id);
        };

        var stopping = Task.Run(stopper);
        var updates = await chat.GetStreamingResponseAsync("think hard", TestHost.Conversation("alice", "wf-1")).ToListAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        await stopping;

        updates.Should().ContainSingle();
        var stored = await StoredAsync(store);
        stored[1].Status.Should().Be(ChatReplyStatus.Stopped);
        stored[1].Reason.Should().Be(ChatReplyReason.StopRequested);
    }

    private static async Task<StoredChatMessage> WaitForStreamingAsync(IChatSessionStore store)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var streaming = (await StoredAsync(store)).FirstOrDefault(m => m.Status == ChatReplyStatus.Streaming);
            if (streaming is not null)
            {
                return streaming;
            }

            await Task.Delay(10, timeout.Token);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_stopped_reply_is_sent_to_the_model_next_turn_unless_the_options_leave_it_out(bool include)
    {
        var chat = new ChatClientBuilder(_model).UseChatPersistence(_durable, o => o.IncludeUnfinishedReplies = include).Build();
        await foreach (var _ in chat.GetStreamingResponseAsync("first", TestHost.Conversation("alice", "wf-1")))
        {
            break;
        }

        await chat.GetResponseAsync("second", TestHost.Conversation("alice", "wf-1"));

        var sent = _model.Requests[1].Select(m => (m.Role.Value, m.Text)).ToList();
        if (include)
        {
            sent.Should().Equal(("user", "first"), ("assistant", "reply"), ("user", "second"));
        }
        else
        {
            sent.Should().Equal(("user", "first"), ("user", "second"));
        }
    }

    [Fact]
    public async Task A_reply_another_device_is_still_writing_is_never_sent()
    {
        var chat = new ChatClientBuilder(_model).UseChatPersistence(_durable).Build();
        var session = await _durable.GetOrCreateSessionAsync("alice", "wf-1");
        await _durable.AppendMessagesAsync("alice", session.Id, [new NewChatMessage(ChatMessageRole.User, "elsewhere")]);
        await using var elsewhere = await ChatReplyWriter.StartAsync(_durable, "alice", session.Id, new NewChatReply());
        elsewhere.Append("half");
        await elsewhere.FlushAsync();

        await chat.GetResponseAsync("here", TestHost.Conversation("alice", "wf-1"));

        _model.Requests[0].Select(m => m.Text).Should().Equal("elsewhere", "here");
    }

    [Fact]
    public async Task A_reply_over_the_size_limit_ends_interrupted_as_too_large_and_the_stream_goes_on()
    {
        var small = new InMemoryChatSessionStore(new ChatPersistenceOptions { MaxContentBytes = 20 });
        var chat = new ChatClientBuilder(_model).UseChatPersistence(small).Build();

        var updates = await chat.GetStreamingResponseAsync("aaaa bbbb cccc", TestHost.Conversation("alice", "wf-1")).ToListAsync();

        string.Concat(updates.Select(u => u.Text)).Should().Be(FakeChatClient.ReplyText(1, "aaaa bbbb cccc"));
        var stored = await StoredAsync(small);
        stored[1].Status.Should().Be(ChatReplyStatus.Interrupted);
        stored[1].Reason.Should().Be(ChatReplyReason.TooLarge);
        FakeChatClient.ReplyText(1, "aaaa bbbb cccc").Should().StartWith(stored[1].Content);
    }

    [Fact]
    public async Task Without_progressive_streaming_a_stopped_stream_stores_no_reply_as_before()
    {
        var chat = new ChatClientBuilder(_model).UseChatPersistence(_durable, o => o.ProgressiveStreaming = false).Build();

        await foreach (var _ in chat.GetStreamingResponseAsync("q", TestHost.Conversation("alice", "wf-1")))
        {
            break;
        }

        (await StoredAsync(_durable)).Select(m => m.Role).Should().Equal(ChatMessageRole.User);
    }

    private static async Task<IReadOnlyList<StoredChatMessage>> StoredAsync(IChatSessionStore store)
    {
        var session = await store.GetOrCreateSessionAsync("alice", "wf-1");
        return (await store.GetMessagesAsync("alice", session.Id, new ChatHistoryRequest { PageSize = 500 })).Messages;
    }
}
