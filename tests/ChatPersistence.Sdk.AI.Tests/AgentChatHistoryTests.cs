using System.Text.Json;
using FluentAssertions;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace ChatPersistence.Sdk.AI.Tests;

public sealed class AgentChatHistoryTests
{
    private readonly InMemoryChatSessionStore _durable = new();
    private readonly FakeChatClient _model = new();

    [Fact]
    public async Task A_serialized_session_continues_from_the_store_after_a_host_restart()
    {
        JsonElement serialized;
        await using (var host = TestHost.Start(_ => _durable, _model))
        {
            var (agent, provider) = CreateAgent(host);
            var session = await agent.CreateSessionAsync();
            provider.SetConversation(session, new ChatConversationKey("alice", "wf-1"));

            var first = await agent.RunAsync("first", session);
            first.Text.Should().Be(FakeChatClient.ReplyText(1, "first"));
            serialized = await agent.SerializeSessionAsync(session);
        }

        var json = serialized.GetRawText();
        json.Should().NotContain("first", "the messages live in the store, not in the session");
        var state = serialized.GetProperty("stateBag").GetProperty(PersistentChatHistoryProvider.DefaultStateKey);
        state.EnumerateObject().Select(p => (p.Name, p.Value.GetString())).Should().Equal(("userId", "alice"), ("workflowId", "wf-1"));
        serialized.GetProperty("stateBag").EnumerateObject().Should().ContainSingle();

        await using (var host = TestHost.Start(_ => _durable, _model))
        {
            var (agent, _) = CreateAgent(host);
            var session = await agent.DeserializeSessionAsync(serialized);

            var second = await agent.RunAsync("second", session);
            second.Text.Should().Be(FakeChatClient.ReplyText(2, "second"));
        }

        _model.Requests[1].Select(m => (m.Role.Value, m.Text)).Should().Equal(
            ("user", "first"), ("assistant", FakeChatClient.ReplyText(1, "first")), ("user", "second"));
        var stored = await StoredAsync("alice", "wf-1");
        stored.Select(m => m.Content).Should().Equal("first", FakeChatClient.ReplyText(1, "first"), "second", FakeChatClient.ReplyText(2, "second"));
        stored.Select(m => m.Id).Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public async Task A_reply_still_streaming_is_not_provided_but_a_stopped_one_is()
    {
        await using var host = TestHost.Start(_ => _durable, _model);
        var (agent, provider) = CreateAgent(host);
        var session = await agent.CreateSessionAsync();
        provider.SetConversation(session, new ChatConversationKey("alice", "wf-1"));
        var stored = await _durable.GetOrCreateSessionAsync("alice", "wf-1");
        await _durable.AppendMessagesAsync("alice", stored.Id, [new NewChatMessage(ChatMessageRole.User, "q1")]);
        await using (var stopped = await ChatReplyWriter.StartAsync(_durable, "alice", stored.Id, new NewChatReply()))
        {
            stopped.Append("half");
            await stopped.EndAsync(ChatReplyStatus.Stopped, ChatReplyReason.CallerStopped);
        }

        await _durable.AppendMessagesAsync("alice", stored.Id, [new NewChatMessage(ChatMessageRole.User, "q2")]);
        await using var live = await ChatReplyWriter.StartAsync(_durable, "alice", stored.Id, new NewChatReply());
        live.Append("still streaming");
        await live.FlushAsync();

        await agent.RunAsync("q3", session);

        _model.Requests[0].Select(m => m.Text).Should().Equal("q1", "half", "q2", "q3");
    }

    [Fact]
    public async Task A_failed_run_stores_nothing()
    {
        await using var host = TestHost.Start(_ => _durable, _model);
        var (agent, provider) = CreateAgent(host);
        var session = await agent.CreateSessionAsync();
        provider.SetConversation(session, new ChatConversationKey("alice", "wf-1"));
        _model.FailWith = new HttpRequestException("model down");

        var act = () => agent.RunAsync("lost", session);

        await act.Should().ThrowAsync<HttpRequestException>();
        (await StoredAsync("alice", "wf-1")).Should().BeEmpty();
    }

    [Fact]
    public async Task A_streaming_run_is_stored_once_complete()
    {
        await using var host = TestHost.Start(_ => _durable, _model);
        var (agent, provider) = CreateAgent(host);
        var session = await agent.CreateSessionAsync();
        provider.SetConversation(session, new ChatConversationKey("alice", "wf-1"));

        var text = string.Concat((await agent.RunStreamingAsync("stream it", session).ToListAsync()).Select(u => u.Text));

        (await StoredAsync("alice", "wf-1")).Select(m => m.Content).Should().Equal("stream it", text);
    }

    [Fact]
    public async Task Sessions_of_other_users_and_workflows_are_isolated()
    {
        await using var host = TestHost.Start(_ => _durable, _model);
        var (agent, provider) = CreateAgent(host);
        var keys = new[] { new ChatConversationKey("alice", "wf-1"), new ChatConversationKey("alice", "wf-2"), new ChatConversationKey("bob", "wf-1") };
        var sessions = new List<AgentSession>();
        foreach (var key in keys)
        {
            var session = await agent.CreateSessionAsync();
            provider.SetConversation(session, key);
            sessions.Add(session);
            await agent.RunAsync($"{key.UserId} {key.WorkflowId}", session);
        }

        await agent.RunAsync("again", sessions[2]);

        _model.Requests[3].Select(m => m.Text).Should().Equal("bob wf-1", FakeChatClient.ReplyText(3, "bob wf-1"), "again");
        provider.GetConversation(sessions[1]).Should().Be(keys[1]);
    }

    [Fact]
    public async Task An_unbound_session_uses_the_initializer_or_fails_clearly()
    {
        var unbound = new ChatClientAgent(_model, new ChatClientAgentOptions { ChatHistoryProvider = new PersistentChatHistoryProvider(_durable) });
        var act = async () => await unbound.RunAsync("hi", await unbound.CreateSessionAsync());
        (await act.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("SetConversation");
        _model.Requests.Should().BeEmpty();

        var provider = new PersistentChatHistoryProvider(_durable, new() { ConversationInitializer = _ => new ChatConversationKey("carol", "wf-new") });
        var agent = new ChatClientAgent(_model, new ChatClientAgentOptions { ChatHistoryProvider = provider });
        await agent.RunAsync("hi", await agent.CreateSessionAsync());
        (await StoredAsync("carol", "wf-new")).Should().HaveCount(2);
    }

    [Fact]
    public async Task The_provider_is_registered_by_the_persistence_builder()
    {
        await using var host = TestHost.Start(_ => _durable, _model);

        host.GetRequiredService<ChatHistoryProvider>().Should().BeSameAs(host.GetRequiredService<PersistentChatHistoryProvider>());
        host.GetRequiredService<PersistentChatHistoryProvider>().Store.Should().BeSameAs(_durable);
    }

    private (ChatClientAgent Agent, PersistentChatHistoryProvider Provider) CreateAgent(IServiceProvider services)
    {
        var provider = services.GetRequiredService<PersistentChatHistoryProvider>();
        var agent = new ChatClientAgent(_model, new ChatClientAgentOptions { Name = "helper", ChatHistoryProvider = provider });
        return (agent, provider);
    }

    private async Task<IReadOnlyList<StoredChatMessage>> StoredAsync(string userId, string workflowId)
    {
        var session = await _durable.GetOrCreateSessionAsync(userId, workflowId);
        return (await _durable.GetMessagesAsync(userId, session.Id, new ChatHistoryRequest { PageSize = 500 })).Messages;
    }
}
