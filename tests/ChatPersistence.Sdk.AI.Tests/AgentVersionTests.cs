using FluentAssertions;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.AI.Tests;

/// <summary>Regenerate and edit-and-resend through the Agent Framework provider and PersistentReplyAgent (issue 27, design §8.2).</summary>
public sealed class AgentVersionTests
{
    private readonly InMemoryChatSessionStore _store = new();
    private readonly FakeChatClient _model = new();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task SetNextParent_regenerates_an_answer_under_its_question_with_the_path_up_to_it(bool streaming)
    {
        var (agent, provider, session) = await CreateAsync();
        await agent.RunAsync("q1", session);
        await agent.RunAsync("q2", session);
        var before = await PathAsync();

        provider.SetNextParent(session, before[0].Id);
        if (streaming)
        {
            await agent.RunStreamingAsync([], session).ToListAsync();
        }
        else
        {
            await agent.RunAsync([], session);
        }

        _model.Requests[2].Select(m => m.Text).Should().Equal(["q1"], "the model sees the path up to the question only");
        var page = await PageAsync();
        page.Messages.Select(m => m.Content).Should().Equal("q1", FakeChatClient.ReplyText(3, "q1"));
        page.Messages[1].ParentId.Should().Be(before[0].Id);
        page.Messages[1].Status.Should().Be(ChatReplyStatus.Complete);
        page.Siblings.Should().Equal(new ChatSiblingPosition(page.Messages[1].Id, 1, 2));

        // Used once: the next run continues the active path.
        await agent.RunAsync("q3", session);
        _model.Requests[3].Select(m => m.Text).Should().Equal("q1", FakeChatClient.ReplyText(3, "q1"), "q3");
    }

    [Fact]
    public async Task SetNextParent_with_the_questions_parent_edits_and_resends_and_keeps_the_old_branch()
    {
        var (agent, provider, session) = await CreateAsync();
        await agent.RunAsync("q1", session);
        await agent.RunAsync("q2", session);
        var before = await PathAsync();

        provider.SetNextParent(session, before[2].ParentId!.Value);
        await agent.RunStreamingAsync("q2 edited", session).ToListAsync();

        _model.Requests[2].Select(m => m.Text).Should().Equal("q1", FakeChatClient.ReplyText(1, "q1"), "q2 edited");
        var page = await PageAsync();
        page.Messages.Select(m => m.Content).Should().Equal("q1", FakeChatClient.ReplyText(1, "q1"), "q2 edited", FakeChatClient.ReplyText(3, "q2 edited"));
        page.Siblings.Should().Equal(new ChatSiblingPosition(page.Messages[2].Id, 1, 2));
        await _store.SwitchVersionAsync("alice", before[0].SessionId, page.Messages[2].Id, 0);
        (await PathAsync()).Select(m => m.Id).Should().Equal(before.Select(m => m.Id));
    }

    [Fact]
    public async Task A_run_stores_under_the_message_it_saw_while_a_second_device_appends_meanwhile()
    {
        var (agent, _, session) = await CreateAsync();
        await agent.RunAsync("q1", session);
        var stored = await _store.GetOrCreateSessionAsync("alice", "wf-1");
        var seen = await PathAsync();
        _model.Script = (call, _) =>
        {
            _store.AppendMessagesAsync("alice", stored.Id, [NewChatMessage.User("from the phone")]).GetAwaiter().GetResult();
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, $"answer {call}"));
        };

        await agent.RunAsync("from the laptop", session);

        var all = (await _store.GetMessagesAsync("alice", stored.Id, new ChatHistoryRequest { PageSize = 100, AllBranches = true })).Messages;
        var laptop = all.Single(m => m.Content == "from the laptop");
        laptop.ParentId.Should().Be(seen[1].Id, "the run's messages go under the message it was given as history");
        all.Single(m => m.Content == "answer 2").ParentId.Should().Be(laptop.Id);
        all.Single(m => m.Content == "from the phone").ParentId.Should().Be(seen[1].Id, "the phone's message is intact on its own branch");
    }

    [Fact]
    public async Task A_parent_of_another_conversation_fails_the_run_before_the_model_is_called_and_is_used_once()
    {
        var (agent, provider, session) = await CreateAsync();
        await agent.RunAsync("q1", session);
        var other = await _store.GetOrCreateSessionAsync("alice", "wf-2");
        var foreign = await _store.AppendMessagesAsync("alice", other.Id, [NewChatMessage.User("elsewhere")]);

        provider.SetNextParent(session, foreign[0].Id);
        var run = async () => await agent.RunAsync("q2", session);

        await run.Should().ThrowAsync<ChatNotFoundException>();
        _model.Requests.Should().HaveCount(1);
        (await PathAsync()).Should().HaveCount(2);
        await agent.RunAsync("q2", session);
        (await PathAsync()).Select(m => m.Content).Should().Equal("q1", FakeChatClient.ReplyText(1, "q1"), "q2", FakeChatClient.ReplyText(2, "q2"));
    }

    [Fact]
    public async Task SetNextParent_on_a_store_without_branches_is_refused()
    {
        var provider = new PersistentChatHistoryProvider(new NoRepliesStore(_store));
        var agent = new ChatClientAgent(_model, new ChatClientAgentOptions { Name = "helper", ChatHistoryProvider = provider });
        var session = await agent.CreateSessionAsync();

        var act = () => provider.SetNextParent(session, Guid.CreateVersion7());

        act.Should().Throw<NotSupportedException>();
    }

    private async Task<(AIAgent Agent, PersistentChatHistoryProvider Provider, AgentSession Session)> CreateAsync()
    {
        var provider = new PersistentChatHistoryProvider(_store);
        var agent = new ChatClientAgent(_model, new ChatClientAgentOptions { Name = "helper", ChatHistoryProvider = provider }).WithPersistentReplies(provider);
        var session = await agent.CreateSessionAsync();
        provider.SetConversation(session, new ChatConversationKey("alice", "wf-1"));
        return (agent, provider, session);
    }

    private async Task<ChatMessagePage> PageAsync()
    {
        var session = await _store.GetOrCreateSessionAsync("alice", "wf-1");
        return await _store.GetMessagesAsync("alice", session.Id, new ChatHistoryRequest { PageSize = 100 });
    }

    private async Task<IReadOnlyList<StoredChatMessage>> PathAsync() => (await PageAsync()).Messages;
}
