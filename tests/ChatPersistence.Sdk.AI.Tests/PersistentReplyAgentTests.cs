using ChatPersistence.Sdk.AI.Internal;
using FluentAssertions;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.AI.Tests;

/// <summary>PersistentReplyAgent: an Agent Framework agent's streaming reply stored while it streams (issue 26, design §8.2).</summary>
public sealed class PersistentReplyAgentTests
{
    private readonly InMemoryChatSessionStore _durable = new();
    private readonly FakeChatClient _model = new();

    [Fact]
    public async Task A_completed_run_stores_the_reply_live_after_its_question_once_and_ends_complete()
    {
        var (agent, provider, session) = await CreateAsync(_durable);
        var reference = new InMemoryChatSessionStore();
        var (plain, _, plainSession) = await CreateAsync(reference, wrap: false, model: new FakeChatClient());

        var updates = new List<AgentResponseUpdate>();
        await foreach (var update in agent.RunStreamingAsync("hello world", session))
        {
            if (updates.Count == 0)
            {
                // The first text is out: the question is stored and the reply follows it, streaming, its id marked in the session.
                var during = await StoredAsync(_durable);
                during.Select(m => (m.Role, m.Status)).Should().Equal((ChatMessageRole.User, ChatReplyStatus.Complete), (ChatMessageRole.Assistant, ChatReplyStatus.Streaming));
                session.StateBag.TryGetValue<LiveRunState>(provider.LiveRepliesStateKey, out var live, PersistenceJsonContext.Default.Options).Should().BeTrue();
                live!.ReplyIds.Should().Equal(during[1].Id);
            }

            updates.Add(update);
        }

        await plain.RunStreamingAsync("hello world", plainSession).ToListAsync();

        string.Concat(updates.Select(u => u.Text)).Should().Be(FakeChatClient.ReplyText(1, "hello world"));
        var stored = await StoredAsync(_durable);
        stored.Select(m => (m.Role, m.Content, m.Status)).Should().Equal(
            (await StoredAsync(reference)).Select(m => (m.Role, m.Content, m.Status)),
            "the same messages as the provider alone stores, each once");
        stored.Should().HaveCount(2);
        stored[1].Status.Should().Be(ChatReplyStatus.Complete);
        session.StateBag.TryGetValue<LiveRunState>(provider.LiveRepliesStateKey, out _, PersistenceJsonContext.Default.Options).Should().BeFalse("the mark lasts only while the run streams");

        // The next turn: the history holds each message once, and the stored reply is read back as the agent's message.
        await agent.RunStreamingAsync("second", session).ToListAsync();
        _model.Requests[1].Select(m => (m.Role.Value, m.Text)).Should().Equal(
            ("user", "hello world"), ("assistant", FakeChatClient.ReplyText(1, "hello world")), ("user", "second"));
        (await StoredAsync(_durable)).Select(m => m.Content).Should().Equal(
            "hello world", FakeChatClient.ReplyText(1, "hello world"), "second", FakeChatClient.ReplyText(2, "second"));
    }

    [Fact]
    public async Task A_caller_that_stops_reading_keeps_the_text_so_far_as_stopped()
    {
        var (agent, _, session) = await CreateAsync(_durable);
        var read = new List<string>();

        await foreach (var update in agent.RunStreamingAsync("a long answer please", session))
        {
            read.Add(update.Text);
            if (read.Count == 2)
            {
                break;
            }
        }

        var stored = await StoredAsync(_durable);
        stored.Select(m => m.Role).Should().Equal(ChatMessageRole.User, ChatMessageRole.Assistant);
        stored[0].Content.Should().Be("a long answer please");
        stored[1].Status.Should().Be(ChatReplyStatus.Stopped);
        stored[1].Reason.Should().Be(ChatReplyReason.CallerStopped);
        stored[1].Content.Should().Be(string.Concat(read));
    }

    [Fact]
    public async Task A_cancelled_run_keeps_the_text_so_far_as_stopped_and_throws()
    {
        var (agent, _, session) = await CreateAsync(_durable);
        using var cts = new CancellationTokenSource();
        var read = new List<string>();

        var act = async () =>
        {
            await foreach (var update in agent.RunStreamingAsync("a long answer please", session, cancellationToken: cts.Token))
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
        stored.Should().HaveCount(2);
        stored[1].Status.Should().Be(ChatReplyStatus.Stopped);
        stored[1].Reason.Should().Be(ChatReplyReason.CallerStopped);
        stored[1].Content.Should().Be(string.Concat(read));
    }

    [Fact]
    public async Task An_inner_agent_that_throws_leaves_the_reply_interrupted_with_the_detail_and_the_exception_propagates()
    {
        var (agent, _, session) = await CreateAsync(_durable);
        _model.FailWith = new HttpRequestException("connection reset");
        _model.FailAfterUpdates = 2;

        var failed = async () => await agent.RunStreamingAsync("q1", session).ToListAsync();

        await failed.Should().ThrowAsync<HttpRequestException>();
        var stored = await StoredAsync(_durable);
        stored.Select(m => m.Content).Should().Equal("q1", "reply 1:");
        stored[1].Status.Should().Be(ChatReplyStatus.Interrupted);
        stored[1].Reason.Should().Be(ChatReplyReason.Failed);
        stored[1].ReasonDetail.Should().Be("HttpRequestException: connection reset");
    }

    [Fact]
    public async Task A_stop_requested_through_the_store_cancels_the_run_and_ends_the_stream_without_an_error()
    {
        var model = new StreamScriptClient([new(ChatRole.Assistant, "Once upon") { MessageId = "m1" }, new(ChatRole.Assistant, " a time") { MessageId = "m1" }])
        {
            HangAfterUpdates = true,
        };
        var (agent, _, session) = await CreateAsync(_durable, model: model);
        var stopping = Task.Run(async () =>
        {
            await model.Yielded.Task;
            // The reply is begun as the first update is handled, which may be after the model has yielded them all.
            StoredChatMessage? reply = null;
            for (var attempt = 0; reply is null && attempt < 600; attempt++)
            {
                reply = (await StoredAsync(_durable)).SingleOrDefault(m => m.Status == ChatReplyStatus.Streaming);
                if (reply is null)
                {
                    await Task.Delay(50);
                }
            }

            await _durable.StopReplyAsync("alice", reply!.Id);
        });

        var updates = await agent.RunStreamingAsync("tell me a story", session).ToListAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        await stopping;

        updates.Should().HaveCount(2);
        var stored = await StoredAsync(_durable);
        stored.Should().HaveCount(2);
        stored[1].Status.Should().Be(ChatReplyStatus.Stopped);
        stored[1].Reason.Should().Be(ChatReplyReason.StopRequested);
        stored[1].Content.Should().Be("Once upon a time");
    }

    [Fact]
    public async Task Non_streaming_runs_and_stores_without_replies_are_stored_by_the_provider_as_before()
    {
        var (agent, _, session) = await CreateAsync(_durable);
        var response = await agent.RunAsync("plain", session);
        response.Text.Should().Be(FakeChatClient.ReplyText(1, "plain"));
        (await StoredAsync(_durable)).Select(m => (m.Content, m.Status)).Should().Equal(
            ("plain", ChatReplyStatus.Complete), (FakeChatClient.ReplyText(1, "plain"), ChatReplyStatus.Complete));

        var old = new InMemoryChatSessionStore();
        var (oldAgent, _, oldSession) = await CreateAsync(new NoRepliesStore(old), model: new FakeChatClient());
        await foreach (var _ in oldAgent.RunStreamingAsync("stopped early", oldSession))
        {
            break;
        }

        (await StoredAsync(old)).Should().BeEmpty("without replies in progress a stream stopped early stores nothing, as without the wrapper");
        await oldAgent.RunStreamingAsync("read to the end", oldSession).ToListAsync();
        (await StoredAsync(old)).Select(m => m.Content).Should().Equal("read to the end", FakeChatClient.ReplyText(2, "read to the end"));
    }

    private async Task<(AIAgent Agent, PersistentChatHistoryProvider Provider, AgentSession Session)> CreateAsync(IChatSessionStore store, bool wrap = true, IChatClient? model = null)
    {
        var provider = new PersistentChatHistoryProvider(store);
        AIAgent agent = new ChatClientAgent(model ?? _model, new ChatClientAgentOptions { Name = "helper", ChatHistoryProvider = provider });
        if (wrap)
        {
            agent = agent.WithPersistentReplies(provider);
        }

        var session = await agent.CreateSessionAsync();
        provider.SetConversation(session, new ChatConversationKey("alice", "wf-1"));
        return (agent, provider, session);
    }

    private static async Task<IReadOnlyList<StoredChatMessage>> StoredAsync(IChatSessionStore store)
    {
        var session = await store.GetOrCreateSessionAsync("alice", "wf-1");
        return (await store.GetMessagesAsync("alice", session.Id, new ChatHistoryRequest { PageSize = 500 })).Messages;
    }
}
