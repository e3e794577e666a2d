using FluentAssertions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace ChatPersistence.Sdk.AI.Tests;

/// <summary>Regenerate, edit-and-resend and named parents through PersistentChatClient on a store that keeps branches (issue 27).</summary>
public sealed class VersionTests
{
    private readonly InMemoryChatSessionStore _store = new();
    private readonly FakeChatClient _model = new();
    private readonly IChatClient _chat;

    public VersionTests() => _chat = new ChatClientBuilder(_model).UseChatPersistence(_store).Build();

    [Fact]
    public async Task Regenerate_sends_the_path_up_to_the_question_and_stores_the_new_answer_beside_the_old_one()
    {
        await _chat.GetResponseAsync("q1", Conversation());
        await _chat.GetResponseAsync("q2", Conversation());
        var before = await PathAsync();
        var firstAnswer = before[1];

        var response = await _chat.GetResponseAsync([], Conversation().WithChatRegenerate(firstAnswer.Id));

        response.Text.Should().Be(FakeChatClient.ReplyText(3, "q1"));
        _model.Requests[2].Select(m => (m.Role.Value, m.Text)).Should().Equal([("user", "q1")], "the model sees the conversation up to the question, not the newer turns");
        var page = await PageAsync();
        page.Messages.Select(m => m.Content).Should().Equal("q1", FakeChatClient.ReplyText(3, "q1"));
        page.Messages[1].ParentId.Should().Be(before[0].Id);
        page.Siblings.Should().Equal(new ChatSiblingPosition(page.Messages[1].Id, 1, 2));
        var versions = await _store.GetSiblingsAsync("alice", firstAnswer.Id);
        versions.Versions.Select(v => v.Id).Should().Equal(firstAnswer.Id, page.Messages[1].Id);
        (await AllAsync()).Should().HaveCount(5, "the old answer and the turn after it stay");

        // The old version and everything under it are still there.
        await _store.SwitchVersionAsync("alice", page.Messages[0].SessionId, firstAnswer.Id, 0);
        (await PathAsync()).Select(m => m.Content).Should().Equal(before.Select(m => m.Content));
    }

    [Fact]
    public async Task A_streamed_regenerate_is_a_live_reply_under_the_question_that_completes()
    {
        await _chat.GetResponseAsync("q1", Conversation());
        await _chat.GetResponseAsync("q2", Conversation());
        var before = await PathAsync();

        var updates = await _chat.GetStreamingResponseAsync([], Conversation().WithChatRegenerate(before[3].Id)).ToListAsync();

        updates.Should().HaveCount(_model.Yielded.Count);
        _model.Requests[2].Select(m => m.Text).Should().Equal("q1", FakeChatClient.ReplyText(1, "q1"), "q2");
        var page = await PageAsync();
        page.Messages.Select(m => (m.Content, m.Status)).Should().Equal(
            ("q1", ChatReplyStatus.Complete), (FakeChatClient.ReplyText(1, "q1"), ChatReplyStatus.Complete),
            ("q2", ChatReplyStatus.Complete), (FakeChatClient.ReplyText(3, "q2"), ChatReplyStatus.Complete));
        page.Messages[3].ParentId.Should().Be(before[2].Id);
        page.Siblings.Should().Equal(new ChatSiblingPosition(page.Messages[3].Id, 1, 2));
        page.Messages[3].Metadata.GetProperty(ChatMessageMetadataKeys.ModelId).GetString().Should().Be("fake-model");
        (await AllAsync()).Should().HaveCount(5);
    }

    [Fact]
    public async Task Edit_and_resend_stores_a_new_question_version_and_its_answer_and_keeps_the_old_branch()
    {
        await _chat.GetResponseAsync("q1", Conversation());
        await _chat.GetResponseAsync("q2", Conversation());
        var before = await PathAsync();

        var response = await _chat.GetResponseAsync("q2 edited", Conversation().WithChatEdit(before[2].Id));

        _model.Requests[2].Select(m => m.Text).Should().Equal("q1", FakeChatClient.ReplyText(1, "q1"), "q2 edited");
        response.Text.Should().Be(FakeChatClient.ReplyText(3, "q2 edited"));
        var page = await PageAsync();
        page.Messages.Select(m => m.Content).Should().Equal("q1", FakeChatClient.ReplyText(1, "q1"), "q2 edited", FakeChatClient.ReplyText(3, "q2 edited"));
        page.Messages[2].ParentId.Should().Be(before[1].Id);
        page.Messages[3].ParentId.Should().Be(page.Messages[2].Id);
        page.Siblings.Should().Equal(new ChatSiblingPosition(page.Messages[2].Id, 1, 2));

        await _store.SwitchVersionAsync("alice", before[0].SessionId, page.Messages[2].Id, 0);
        (await PathAsync()).Select(m => m.Id).Should().Equal(before.Select(m => m.Id), "the old question and its answer are intact");
    }

    [Fact]
    public async Task Editing_the_first_question_starts_another_root_with_no_history()
    {
        await _chat.GetResponseAsync("q1", Conversation());
        var first = (await PathAsync())[0];

        await _chat.GetStreamingResponseAsync(
            [new ChatMessage(ChatRole.System, "be brief"), new ChatMessage(ChatRole.User, "q1 again")],
            Conversation().WithChatEdit(first.Id)).ToListAsync();

        _model.Requests[1].Select(m => m.Text).Should().Equal("be brief", "q1 again");
        var page = await PageAsync();
        page.Messages.Select(m => m.Content).Should().Equal("q1 again", FakeChatClient.ReplyText(2, "q1 again"));
        page.Messages[0].ParentId.Should().BeNull();
        page.Siblings.Should().Equal(new ChatSiblingPosition(page.Messages[0].Id, 1, 2));
    }

    [Fact]
    public async Task A_named_parent_sends_the_path_to_it_and_stores_the_question_under_it()
    {
        await _chat.GetResponseAsync("q1", Conversation());
        await _chat.GetResponseAsync("q2", Conversation());
        var before = await PathAsync();

        await _chat.GetResponseAsync("other q2", Conversation().WithChatParent(before[1].Id));

        _model.Requests[2].Select(m => m.Text).Should().Equal("q1", FakeChatClient.ReplyText(1, "q1"), "other q2");
        var page = await PageAsync();
        page.Messages.Select(m => m.Content).Should().Equal("q1", FakeChatClient.ReplyText(1, "q1"), "other q2", FakeChatClient.ReplyText(3, "other q2"));
        page.Messages[2].ParentId.Should().Be(before[1].Id);
    }

    [Fact]
    public async Task The_root_parent_starts_another_first_message_with_no_history()
    {
        await _chat.GetResponseAsync("q1", Conversation());
        await _chat.GetResponseAsync("q2", Conversation());

        await _chat.GetResponseAsync("start over", Conversation().WithChatParent(NewChatMessage.RootParent));

        _model.Requests[2].Select(m => m.Text).Should().Equal("start over");
        var page = await PageAsync();
        page.Messages.Select(m => m.Content).Should().Equal("start over", FakeChatClient.ReplyText(3, "start over"));
        page.Messages[0].ParentId.Should().BeNull();
        page.Siblings.Should().Equal(new ChatSiblingPosition(page.Messages[0].Id, 1, 2));
        (await AllAsync()).Should().HaveCount(6);
    }

    [Fact]
    public async Task The_versioning_keys_do_not_reach_the_inner_client()
    {
        await _chat.GetResponseAsync("q1", Conversation());
        var answer = (await PathAsync())[1];

        await _chat.GetResponseAsync([], Conversation().WithChatRegenerate(answer.Id));

        _model.Options[1]!.AdditionalProperties.Should().BeNull();
    }

    [Fact]
    public async Task A_stop_requested_during_a_regenerated_reply_keeps_it_stopped_beside_the_old_answer()
    {
        await _chat.GetResponseAsync("tell me a story", Conversation());
        var before = await PathAsync();
        var model = new StreamScriptClient([new(ChatRole.Assistant, "Once upon") { MessageId = "m1" }, new(ChatRole.Assistant, " a time") { MessageId = "m1" }])
        {
            HangAfterUpdates = true,
        };
        var chat = new ChatClientBuilder(model).UseChatPersistence(_store).Build();
        var stopping = Task.Run(async () =>
        {
            await model.Yielded.Task;
            // The reply is begun as the first update is handled, which may be after the model has yielded them all.
            StoredChatMessage? reply = null;
            for (var attempt = 0; reply is null && attempt < 600; attempt++)
            {
                reply = (await AllAsync()).SingleOrDefault(m => m.Status == ChatReplyStatus.Streaming);
                if (reply is null)
                {
                    await Task.Delay(50);
                }
            }

            await _store.StopReplyAsync("alice", reply!.Id);
        });

        var updates = await chat.GetStreamingResponseAsync([], Conversation().WithChatRegenerate(before[1].Id)).ToListAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60));
        await stopping;

        updates.Should().HaveCount(2);
        model.Requests[0].Select(m => m.Text).Should().Equal("tell me a story");
        var page = await PageAsync();
        page.Messages[1].Content.Should().Be("Once upon a time");
        page.Messages[1].Status.Should().Be(ChatReplyStatus.Stopped);
        page.Messages[1].Reason.Should().Be(ChatReplyReason.StopRequested);
        page.Messages[1].ParentId.Should().Be(before[0].Id);
        page.Siblings.Should().Equal(new ChatSiblingPosition(page.Messages[1].Id, 1, 2));
        (await _store.GetSiblingsAsync("alice", before[1].Id)).Versions[0].Status.Should().Be(ChatReplyStatus.Complete);
    }

    [Fact]
    public async Task A_cancelled_regenerate_keeps_the_text_so_far_as_stopped_and_the_old_answer_stays()
    {
        await _chat.GetResponseAsync("a long answer please", Conversation());
        var before = await PathAsync();
        using var cts = new CancellationTokenSource();
        var read = new List<string>();

        var act = async () =>
        {
            await foreach (var update in _chat.GetStreamingResponseAsync([], Conversation().WithChatRegenerate(before[1].Id), cts.Token))
            {
                read.Add(update.Text);
                if (read.Count == 2)
                {
                    await cts.CancelAsync();
                }
            }
        };

        await act.Should().ThrowAsync<OperationCanceledException>();
        var page = await PageAsync();
        page.Messages[1].Status.Should().Be(ChatReplyStatus.Stopped);
        page.Messages[1].Reason.Should().Be(ChatReplyReason.CallerStopped);
        page.Messages[1].Content.Should().Be(string.Concat(read));
        page.Siblings.Should().Equal(new ChatSiblingPosition(page.Messages[1].Id, 1, 2));
        (await AllAsync()).Should().HaveCount(3);
    }

    [Fact]
    public async Task A_request_cancelled_before_it_starts_stores_nothing()
    {
        await _chat.GetResponseAsync("q1", Conversation());
        var answer = (await PathAsync())[1];
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        var regenerate = async () => await _chat.GetResponseAsync([], Conversation().WithChatRegenerate(answer.Id), cts.Token);
        var edit = async () => await _chat.GetStreamingResponseAsync("q1 edited", Conversation().WithChatEdit((await PathAsync())[0].Id), cts.Token).ToListAsync();

        await regenerate.Should().ThrowAsync<OperationCanceledException>();
        await edit.Should().ThrowAsync<OperationCanceledException>();
        _model.Requests.Should().HaveCount(1);
        (await AllAsync()).Should().HaveCount(2);
    }

    [Fact]
    public async Task A_turn_stores_its_reply_under_its_own_question_while_a_second_device_appends_meanwhile()
    {
        await _chat.GetResponseAsync("q1", Conversation());
        var session = await _store.GetOrCreateSessionAsync("alice", "wf-1");
        var answer = (await PathAsync())[1];
        _model.Script = (call, received) =>
        {
            // The second device continues the active path while this device's model is answering.
            _store.AppendMessagesAsync("alice", session.Id, [NewChatMessage.User("from the phone")]).GetAwaiter().GetResult();
            return new ChatResponse(new ChatMessage(ChatRole.Assistant, $"answer {call}"));
        };

        await _chat.GetResponseAsync("from the laptop", Conversation());

        var page = await PageAsync();
        page.Messages.Select(m => m.Content).Should().Equal("q1", answer.Content, "from the laptop", "answer 2");
        page.Messages[3].ParentId.Should().Be(page.Messages[2].Id, "the reply never lands under a message its author did not see");
        var phone = (await AllAsync()).Single(m => m.Content == "from the phone");
        phone.ParentId.Should().Be(page.Messages[2].Id, "the phone continued the path it saw then, intact");
    }

    [Fact]
    public async Task A_streamed_turn_names_the_parent_it_saw_when_a_second_device_switched_versions_meanwhile()
    {
        await _chat.GetResponseAsync("q1", Conversation());
        await _chat.GetResponseAsync([], Conversation().WithChatRegenerate((await PathAsync())[1].Id));
        var seen = await PathAsync();
        var model = new FakeChatClient();
        var session = seen[0].SessionId;
        var chat = new ChatClientBuilder(new SwitchingClient(model, () => _store.SwitchVersionAsync("alice", session, seen[1].Id, 0))).UseChatPersistence(_store).Build();

        await chat.GetStreamingResponseAsync("q2", Conversation()).ToListAsync();

        model.Requests[0].Select(m => m.Text).Should().Equal("q1", seen[1].Content, "q2");
        var page = await PageAsync();
        page.Messages.Select(m => m.Id).Take(2).Should().Equal(seen.Select(m => m.Id), "the turn continued the version it saw, and became active");
        page.Messages[3].ParentId.Should().Be(page.Messages[2].Id);
        page.Messages[3].Status.Should().Be(ChatReplyStatus.Complete);
    }

    [Fact]
    public async Task Regenerate_works_through_the_registered_store_of_a_host()
    {
        var model = new FakeChatClient();
        await using var host = TestHost.Start(persistence => persistence.UseInMemory(), model);
        var chat = host.GetRequiredService<IChatClient>();
        var store = host.GetRequiredService<IChatSessionStore>();
        await chat.GetResponseAsync("q1", Conversation());
        var session = await store.GetOrCreateSessionAsync("alice", "wf-1");
        var answer = (await store.GetMessagesAsync("alice", session.Id)).Messages[1];

        await chat.GetStreamingResponseAsync([], Conversation().WithChatRegenerate(answer.Id)).ToListAsync();

        var page = await store.GetMessagesAsync("alice", session.Id);
        page.Messages.Select(m => m.Content).Should().Equal("q1", FakeChatClient.ReplyText(2, "q1"));
        page.Siblings.Should().Equal(new ChatSiblingPosition(page.Messages[1].Id, 1, 2));
    }

    [Fact]
    public async Task A_linear_turn_reads_one_page_as_before()
    {
        var counting = new CountingStore(_store);
        var chat = new ChatClientBuilder(_model).UseChatPersistence(counting).Build();
        await chat.GetResponseAsync("q1", Conversation());
        counting.Reads = 0;

        await chat.GetResponseAsync("q2", Conversation());

        counting.Reads.Should().Be(1);
        counting.SiblingReads.Should().Be(0);
    }

    [Fact]
    public async Task Regenerating_a_question_or_editing_an_answer_fails_before_the_model_is_called_and_stores_nothing()
    {
        await _chat.GetResponseAsync("q1", Conversation());
        var path = await PathAsync();

        var regenerateQuestion = async () => await _chat.GetResponseAsync([], Conversation().WithChatRegenerate(path[0].Id));
        var editAnswer = async () => await _chat.GetResponseAsync("q1?", Conversation().WithChatEdit(path[1].Id));
        var regenerateWithText = async () => await _chat.GetResponseAsync("more", Conversation().WithChatRegenerate(path[1].Id));
        var editWithoutQuestion = async () => await _chat.GetResponseAsync([], Conversation().WithChatEdit(path[0].Id));
        var both = async () => await _chat.GetResponseAsync([], Conversation().WithChatRegenerate(path[1].Id).WithChatParent(path[0].Id));
        var notAnId = async () => await _chat.GetResponseAsync([], new ChatOptions { AdditionalProperties = new() { [PersistentChatClient.RegenerateIdPropertyName] = "not-a-guid" } }.WithChatConversation("alice", "wf-1"));

        (await regenerateQuestion.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("only an assistant message can be regenerated");
        (await editAnswer.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("an answer cannot be edited into a question");
        await regenerateWithText.Should().ThrowAsync<ArgumentException>();
        await editWithoutQuestion.Should().ThrowAsync<ArgumentException>();
        await both.Should().ThrowAsync<ArgumentException>();
        await notAnId.Should().ThrowAsync<ArgumentException>();
        _model.Requests.Should().HaveCount(1);
        (await AllAsync()).Select(m => m.Id).Should().Equal(path.Select(m => m.Id));
    }

    [Fact]
    public async Task An_id_of_another_session_or_user_or_none_is_not_found_before_the_model_is_called_and_nothing_is_created()
    {
        await _chat.GetResponseAsync("q1", Conversation());
        await _chat.GetResponseAsync("elsewhere", TestHost.Conversation("alice", "wf-2"));
        await _chat.GetResponseAsync("mallory's", TestHost.Conversation("mallory", "wf-1"));
        var otherWorkflow = await PathAsync("alice", "wf-2");
        var otherUser = await PathAsync("mallory", "wf-1");

        var cases = new Func<Task>[]
        {
            () => _chat.GetResponseAsync([], Conversation().WithChatRegenerate(otherWorkflow[1].Id)),
            () => _chat.GetResponseAsync([], Conversation().WithChatRegenerate(otherUser[1].Id)),
            () => _chat.GetResponseAsync("x", Conversation().WithChatEdit(otherUser[0].Id)),
            () => _chat.GetResponseAsync("x", Conversation().WithChatParent(otherWorkflow[1].Id)),
            () => _chat.GetStreamingResponseAsync([], Conversation().WithChatRegenerate(Guid.CreateVersion7())).ToListAsync().AsTask(),
            () => _chat.GetResponseAsync([], TestHost.Conversation("alice", "wf-new").WithChatRegenerate(otherWorkflow[1].Id)),
        };

        foreach (var act in cases)
        {
            await act.Should().ThrowAsync<ChatNotFoundException>();
        }

        _model.Requests.Should().HaveCount(3);
        (await AllAsync()).Should().HaveCount(2);
        (await _store.ListSessionsAsync("alice")).Items.Select(s => s.WorkflowId).Should().BeEquivalentTo("wf-1", "wf-2");
    }

    [Fact]
    public async Task A_store_without_branches_refuses_the_versioning_options_before_the_model_is_called()
    {
        var store = new NoRepliesStore(_store);
        var chat = new ChatClientBuilder(_model).UseChatPersistence(store).Build();
        await chat.GetResponseAsync("q1", Conversation());
        var path = await PathAsync();

        var regenerate = async () => await chat.GetResponseAsync([], Conversation().WithChatRegenerate(path[1].Id));
        var edit = async () => await chat.GetStreamingResponseAsync("q1 edited", Conversation().WithChatEdit(path[0].Id)).ToListAsync();
        var parent = async () => await chat.GetResponseAsync("q2", Conversation().WithChatParent(path[1].Id));

        await regenerate.Should().ThrowAsync<NotSupportedException>();
        await edit.Should().ThrowAsync<NotSupportedException>();
        await parent.Should().ThrowAsync<NotSupportedException>();
        _model.Requests.Should().HaveCount(1);
        (await AllAsync()).Should().HaveCount(2);
    }

    private static ChatOptions Conversation() => TestHost.Conversation("alice", "wf-1");

    private async Task<ChatMessagePage> PageAsync(string userId = "alice", string workflowId = "wf-1")
    {
        var session = await _store.GetOrCreateSessionAsync(userId, workflowId);
        return await _store.GetMessagesAsync(userId, session.Id, new ChatHistoryRequest { PageSize = 100 });
    }

    private async Task<IReadOnlyList<StoredChatMessage>> PathAsync(string userId = "alice", string workflowId = "wf-1") =>
        (await PageAsync(userId, workflowId)).Messages;

    private async Task<IReadOnlyList<StoredChatMessage>> AllAsync()
    {
        var session = await _store.GetOrCreateSessionAsync("alice", "wf-1");
        return (await _store.GetMessagesAsync("alice", session.Id, new ChatHistoryRequest { PageSize = 100, AllBranches = true })).Messages;
    }

    /// <summary>A model wrapper that runs an action (another device's) after the request was stored, before the model answers.</summary>
    private sealed class SwitchingClient(IChatClient inner, Func<Task> meanwhile) : DelegatingChatClient(inner)
    {
        public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            await meanwhile();
            await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken))
            {
                yield return update;
            }
        }
    }

    /// <summary>Counts page and sibling reads.</summary>
    private sealed class CountingStore(IChatSessionStore inner) : DelegatingChatSessionStore(inner)
    {
        public int Reads { get; set; }

        public int SiblingReads { get; set; }

        public override Task<ChatMessagePage> GetMessagesAsync(string userId, Guid sessionId, ChatHistoryRequest? request = null, CancellationToken cancellationToken = default)
        {
            Reads++;
            return base.GetMessagesAsync(userId, sessionId, request, cancellationToken);
        }

        public override Task<ChatSiblings> GetSiblingsAsync(string userId, Guid messageId, CancellationToken cancellationToken = default)
        {
            SiblingReads++;
            return base.GetSiblingsAsync(userId, messageId, cancellationToken);
        }
    }
}
