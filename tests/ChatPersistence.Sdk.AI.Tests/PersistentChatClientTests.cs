using FluentAssertions;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace ChatPersistence.Sdk.AI.Tests;

public sealed class PersistentChatClientTests
{
    private readonly InMemoryChatSessionStore _durable = new();
    private readonly FakeChatClient _model = new();

    // The durable store is one InMemoryChatSessionStore shared by two service providers. When ChatPersistence.Sdk.Sqlite is
    // merged, start both hosts with `p => p.UseSqlite(...)` over one temp file instead (TestHost.Start takes a store choice).
    [Fact]
    public async Task Third_turn_after_a_host_restart_sees_the_first_two_turns()
    {
        await using (var host = TestHost.Start(_ => _durable, _model))
        {
            var chat = host.GetRequiredService<IChatClient>();
            await chat.GetResponseAsync("first", TestHost.Conversation("alice", "wf-1"));
            await chat.GetResponseAsync("second", TestHost.Conversation("alice", "wf-1"));
        }

        await using (var host = TestHost.Start(_ => _durable, _model))
        {
            var chat = host.GetRequiredService<IChatClient>();
            var response = await chat.GetResponseAsync("third", TestHost.Conversation("alice", "wf-1"));
            response.Text.Should().Be(FakeChatClient.ReplyText(3, "third"));
        }

        _model.Requests[1].Select(m => m.Text).Should().Equal("first", FakeChatClient.ReplyText(1, "first"), "second");
        _model.Requests[2].Select(m => (m.Role.Value, m.Text)).Should().Equal(
            ("user", "first"), ("assistant", FakeChatClient.ReplyText(1, "first")),
            ("user", "second"), ("assistant", FakeChatClient.ReplyText(2, "second")),
            ("user", "third"));
        _model.Requests[2][1].AuthorName.Should().Be("fake");

        var stored = await StoredAsync("alice", "wf-1");
        stored.Should().HaveCount(6);
        stored[5].Metadata.GetProperty(ChatMessageMetadataKeys.ModelId).GetString().Should().Be("fake-model");
        stored[5].Metadata.GetProperty(ChatMessageMetadataKeys.ResponseId).GetString().Should().Be("resp-3");
        stored[5].Metadata.GetProperty(ChatMessageMetadataKeys.FinishReason).GetString().Should().Be("stop");
        stored[5].GetUsage()!.InputTokenCount.Should().Be(5);
    }

    [Fact]
    public async Task The_chat_ids_do_not_reach_the_inner_client()
    {
        var chat = new ChatClientBuilder(_model).UseChatPersistence(_durable).Build();
        var options = TestHost.Conversation("alice", "wf-1");
        options.AdditionalProperties!["other"] = 1;

        await chat.GetResponseAsync("hi", options);

        _model.Options[0]!.AdditionalProperties.Should().ContainKey("other").And.NotContainKey(PersistentChatClient.UserIdPropertyName)
            .And.NotContainKey(PersistentChatClient.WorkflowIdPropertyName);
        options.AdditionalProperties.Should().ContainKey(PersistentChatClient.UserIdPropertyName, "the caller's options are not changed");
    }

    [Fact]
    public async Task ConversationId_is_the_workflow_with_a_default_user_and_is_not_passed_on()
    {
        var chat = new ChatClientBuilder(_model).UseChatPersistence(_durable, o => o.DefaultUserId = "solo").Build();

        await chat.GetResponseAsync("hi", new ChatOptions { ConversationId = "wf-9" });

        _model.Options[0]!.ConversationId.Should().BeNull();
        (await StoredAsync("solo", "wf-9")).Should().HaveCount(2);
    }

    [Fact]
    public async Task A_resolver_delegate_chooses_the_conversation()
    {
        var chat = new ChatClientBuilder(_model)
            .UseChatPersistence(_durable, o => o.ConversationResolver = (_, _) => new ChatConversationKey("bob", "from-resolver"))
            .Build();

        await chat.GetResponseAsync("hi");

        (await StoredAsync("bob", "from-resolver")).Should().HaveCount(2);
    }

    [Fact]
    public async Task A_request_without_a_conversation_fails_before_anything_happens()
    {
        var chat = new ChatClientBuilder(_model).UseChatPersistence(_durable).Build();

        var act = () => chat.GetResponseAsync("hi");

        (await act.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("WithChatConversation");
        _model.Requests.Should().BeEmpty();
    }

    [Fact]
    public async Task Users_and_workflows_never_see_each_others_history()
    {
        var chat = new ChatClientBuilder(_model).UseChatPersistence(_durable).Build();
        await chat.GetResponseAsync("alice wf-1", TestHost.Conversation("alice", "wf-1"));
        await chat.GetResponseAsync("alice wf-2", TestHost.Conversation("alice", "wf-2"));
        await chat.GetResponseAsync("bob wf-1", TestHost.Conversation("bob", "wf-1"));

        await chat.GetResponseAsync("again", TestHost.Conversation("alice", "wf-2"));
        await chat.GetResponseAsync("again", TestHost.Conversation("bob", "wf-1"));

        _model.Requests[3].Select(m => m.Text).Should().Equal("alice wf-2", FakeChatClient.ReplyText(2, "alice wf-2"), "again");
        _model.Requests[4].Select(m => m.Text).Should().Equal("bob wf-1", FakeChatClient.ReplyText(3, "bob wf-1"), "again");
        (await StoredAsync("alice", "wf-1")).Should().HaveCount(2);
    }

    [Fact]
    public async Task Retrying_with_the_same_messages_stores_and_sends_them_once()
    {
        var chat = new ChatClientBuilder(_model).UseChatPersistence(_durable).Build();
        var question = new ChatMessage(ChatRole.User, "question");
        _model.FailWith = new HttpRequestException("503");

        var failed = () => chat.GetResponseAsync([question], TestHost.Conversation("alice", "wf-1"));
        await failed.Should().ThrowAsync<HttpRequestException>();
        question.MessageId.Should().BeNull("the caller's message is not changed");
        (await StoredAsync("alice", "wf-1")).Select(m => m.Content).Should().Equal(["question"], "the user message is saved before the model is called");

        _model.FailWith = null;
        await chat.GetResponseAsync([question], TestHost.Conversation("alice", "wf-1"));

        _model.Requests[1].Select(m => m.Text).Should().Equal("question");
        (await StoredAsync("alice", "wf-1")).Select(m => m.Content).Should().Equal("question", FakeChatClient.ReplyText(2, "question"));
    }

    [Fact]
    public async Task Retrying_with_equal_new_objects_stores_and_sends_them_once()
    {
        var chat = new ChatClientBuilder(_model).UseChatPersistence(_durable).Build();
        _model.FailWith = new HttpRequestException("503");
        var failed = () => chat.GetResponseAsync([new ChatMessage(ChatRole.User, "look"), new ChatMessage(ChatRole.User, [new DataContent(new byte[] { 1, 2, 3 }, "image/png")])], TestHost.Conversation("alice", "wf-1"));
        await failed.Should().ThrowAsync<HttpRequestException>();

        _model.FailWith = null;
        await chat.GetResponseAsync([new ChatMessage(ChatRole.User, "look"), new ChatMessage(ChatRole.User, [new DataContent(new byte[] { 1, 2, 3 }, "image/png")])], TestHost.Conversation("alice", "wf-1"));
        await chat.GetResponseAsync("look", TestHost.Conversation("alice", "wf-1"));

        _model.Requests[1].Should().HaveCount(2);
        (await StoredAsync("alice", "wf-1")).Select(m => m.Role).Should().Equal(
            [ChatMessageRole.User, ChatMessageRole.User, ChatMessageRole.Assistant, ChatMessageRole.User, ChatMessageRole.Assistant],
            "the retry stored nothing twice; the same text on a later turn is a new message");
    }

    [Fact]
    public async Task A_reply_longer_than_the_content_limit_is_stored_cut_with_a_marker()
    {
        var services = new ServiceCollection();
        services.AddChatPersistence(o => o.MaxContentBytes = 1000).UseStore(_ => _durable);
        await using var provider = services.BuildServiceProvider();
        _model.Script = (_, _) => new ChatResponse(new ChatMessage(ChatRole.Assistant, new string('é', 800)));
        var chat = new ChatClientBuilder(_model).UseChatPersistence().Build(provider);

        var response = await chat.GetResponseAsync("long answer please", TestHost.Conversation("alice", "wf-1"));

        response.Text.Should().HaveLength(800, "the caller gets the whole reply");
        var stored = (await StoredAsync("alice", "wf-1"))[1].Content;
        System.Text.Encoding.UTF8.GetByteCount(stored).Should().BeLessThanOrEqualTo(1000);
        stored.Should().StartWith("éé").And.EndWith("[chat.omitted: text cut at the store's content limit of 1000 bytes; 1600 bytes in all]");
    }

    [Fact]
    public async Task A_reply_with_unpaired_surrogates_is_stored_with_replacement_characters_and_the_turn_is_kept()
    {
        // A model (or a tool result it echoes) can produce text no store can keep as UTF-8; the answer has been given, so it
        // is stored repaired rather than lost: each unpaired surrogate becomes U+FFFD, in the text and in the metadata.
        _model.Script = (_, _) => new ChatResponse(new ChatMessage(ChatRole.Assistant, "broken \ud800 text \udc00 and 😀")
        {
            AdditionalProperties = new() { ["note\ud801"] = "value \udfff" },
        });
        var chat = new ChatClientBuilder(_model).UseChatPersistence(_durable).Build();

        var response = await chat.GetResponseAsync("say something odd", TestHost.Conversation("alice", "wf-surrogates"));

        response.Text.Should().Be("broken \ud800 text \udc00 and 😀", "the caller gets the answer as the model gave it");
        var stored = await StoredAsync("alice", "wf-surrogates");
        stored.Should().HaveCount(2);
        stored[1].Content.Should().Be("broken \uFFFD text \uFFFD and 😀");
        stored[1].Metadata.GetRawText().Should().Contain("note\uFFFD").And.Contain("value \uFFFD");
    }

    [Fact]
    public async Task System_prompt_goes_first_and_is_not_stored()
    {
        var chat = new ChatClientBuilder(_model).UseChatPersistence(_durable).Build();
        await chat.GetResponseAsync([new(ChatRole.System, "be brief"), new(ChatRole.User, "one")], TestHost.Conversation("alice", "wf-1"));
        await chat.GetResponseAsync([new(ChatRole.System, "be brief"), new(ChatRole.User, "two")], TestHost.Conversation("alice", "wf-1"));

        _model.Requests[1].Select(m => m.Role.Value).Should().Equal("system", "user", "assistant", "user");
        (await StoredAsync("alice", "wf-1")).Should().NotContain(m => m.Role == ChatMessageRole.System);
    }

    [Fact]
    public async Task History_is_bounded_by_the_message_window_and_the_character_budget()
    {
        var windowed = new ChatClientBuilder(_model).UseChatPersistence(_durable, o => o.MaxHistoryMessages = 3).Build();
        for (var i = 0; i < 4; i++)
        {
            await windowed.GetResponseAsync($"m{i}", TestHost.Conversation("alice", "wf-1"));
        }

        _model.Requests[3].Select(m => m.Text).Should().Equal(FakeChatClient.ReplyText(2, "m1"), "m2", FakeChatClient.ReplyText(3, "m2"), "m3");

        // Each stored reply costs about 100 characters (its text + the serialised author name and content); a question 2.
        var budget = new ChatClientBuilder(_model).UseChatPersistence(_durable, o => o.MaxHistoryCharacters = 150).Build();
        await budget.GetResponseAsync("m4", TestHost.Conversation("alice", "wf-1"));
        _model.Requests[4].Select(m => m.Text).Should().Equal("m3", FakeChatClient.ReplyText(4, "m3"), "m4");
    }

    [Fact]
    public async Task A_window_larger_than_a_store_page_is_read_across_pages()
    {
        var session = await _durable.GetOrCreateSessionAsync("alice", "wf-1");
        for (var batch = 0; batch < 7; batch++)
        {
            await _durable.AppendMessagesAsync("alice", session.Id, [.. Enumerable.Range(batch * 100, 100).Select(i => NewChatMessage.User($"old {i}"))]);
        }

        var chat = new ChatClientBuilder(_model).UseChatPersistence(_durable, o => o.MaxHistoryMessages = 650).Build();
        await chat.GetResponseAsync("now", TestHost.Conversation("alice", "wf-1"));

        var sent = _model.Requests[0].Select(m => m.Text).ToList();
        sent.Should().HaveCount(651);
        sent[0].Should().Be("old 50");
        sent[^2].Should().Be("old 699");
        sent[^1].Should().Be("now");
    }

    [Fact]
    public async Task A_window_never_starts_with_orphaned_tool_results()
    {
        var session = await _durable.GetOrCreateSessionAsync("alice", "wf-1");
        await _durable.AppendMessagesAsync("alice", session.Id,
        [
            new ChatMessage(ChatRole.User, "weather?").ToNewChatMessage(),
            new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("c1", "weather")]).ToNewChatMessage(),
            new ChatMessage(ChatRole.Tool, [new FunctionResultContent("c1", "sunny")]).ToNewChatMessage(),
            new ChatMessage(ChatRole.Assistant, "sunny").ToNewChatMessage(),
        ]);
        var chat = new ChatClientBuilder(_model).UseChatPersistence(_durable, o => o.MaxHistoryMessages = 2).Build();

        await chat.GetResponseAsync("thanks", TestHost.Conversation("alice", "wf-1"));

        _model.Requests[0].Select(m => m.Role.Value).Should().Equal("assistant", "user");
    }

    [Fact]
    public async Task Tool_calls_and_results_of_a_function_invoking_pipeline_are_stored_and_replayed()
    {
        var model = new ToolCallingChatClient();
        var chat = new ChatClientBuilder(model).UseChatPersistence(_durable).UseFunctionInvocation().Build();
        var options = TestHost.Conversation("alice", "wf-1");
        options.Tools = [AIFunctionFactory.Create((string city) => $"sunny in {city}", "weather")];

        var first = await chat.GetResponseAsync("weather in Paris?", options);
        first.Text.Should().Be("It is sunny in Paris");
        await chat.GetResponseAsync("thanks", TestHost.Conversation("alice", "wf-1"));

        var stored = await StoredAsync("alice", "wf-1");
        stored.Select(m => m.Role).Should().Equal(ChatMessageRole.User, ChatMessageRole.Assistant, ChatMessageRole.Tool, ChatMessageRole.Assistant, ChatMessageRole.User, ChatMessageRole.Assistant);
        var replay = model.Requests.Last();
        replay[1].Contents.OfType<FunctionCallContent>().Single().Arguments!["city"]!.ToString().Should().Be("Paris");
        replay[2].Contents.OfType<FunctionResultContent>().Single().Result!.ToString().Should().Be("sunny in Paris");
    }

    [Fact]
    public async Task A_function_invocation_loop_outside_the_decorator_stores_each_message_once()
    {
        var model = new ToolCallingChatClient();
        var chat = new ChatClientBuilder(model).UseFunctionInvocation().UseChatPersistence(_durable).Build();
        var options = TestHost.Conversation("alice", "wf-1");
        options.Tools = [AIFunctionFactory.Create((string city) => $"sunny in {city}", "weather")];

        (await chat.GetResponseAsync("weather in Paris?", options)).Text.Should().Be("It is sunny in Paris");
        await chat.GetResponseAsync("thanks", TestHost.Conversation("alice", "wf-1"));

        (await StoredAsync("alice", "wf-1")).Select(m => m.Role).Should().Equal(
            ChatMessageRole.User, ChatMessageRole.Assistant, ChatMessageRole.Tool, ChatMessageRole.Assistant, ChatMessageRole.User, ChatMessageRole.Assistant);
        model.Requests[1].Select(m => m.Role.Value).Should().Equal("user", "assistant", "tool");
        model.Requests[2].Select(m => m.Role.Value).Should().Equal("user", "assistant", "tool", "assistant", "user");
    }

    [Fact]
    public async Task A_caller_that_resends_stored_messages_does_not_duplicate_them()
    {
        var chat = new ChatClientBuilder(_model).UseChatPersistence(_durable).Build();
        var first = new ChatMessage(ChatRole.User, "first");
        var reply = await chat.GetResponseAsync([first], TestHost.Conversation("alice", "wf-1"));

        await chat.GetResponseAsync([first, .. reply.Messages, new ChatMessage(ChatRole.User, "second")], TestHost.Conversation("alice", "wf-1"));

        _model.Requests[1].Select(m => m.Text).Should().Equal("first", FakeChatClient.ReplyText(1, "first"), "second");
        (await StoredAsync("alice", "wf-1")).Should().HaveCount(4);
    }

    [Fact]
    public async Task Streaming_passes_updates_through_unchanged_and_stores_the_reply_once_complete()
    {
        var chat = new ChatClientBuilder(_model).UseChatPersistence(_durable).Build();
        var direct = new FakeChatClient();
        var expected = await direct.GetStreamingResponseAsync("hello world").ToListAsync();

        var updates = await chat.GetStreamingResponseAsync("hello world", TestHost.Conversation("alice", "wf-1")).ToListAsync();

        updates.Select(Describe).Should().Equal(expected.Select(Describe));
        updates.Should().HaveCount(_model.Yielded.Count);
        updates.Zip(_model.Yielded).Should().OnlyContain(pair => ReferenceEquals(pair.First, pair.Second), "the very update objects are passed through");
        var stored = await StoredAsync("alice", "wf-1");
        stored.Should().HaveCount(2);
        stored[1].Content.Should().Be(string.Concat(updates.Select(u => u.Text)));
        stored[1].Content.Should().Be(FakeChatClient.ReplyText(1, "hello world"));
        stored[1].GetUsage()!.OutputTokenCount.Should().Be(4);
        stored[1].Metadata.GetProperty(ChatMessageMetadataKeys.FinishReason).GetString().Should().Be("stop");
    }

    [Fact]
    public async Task A_cancelled_stream_stores_the_question_but_no_reply_on_a_store_without_replies_in_progress()
    {
        var chat = new ChatClientBuilder(_model).UseChatPersistence(new NoRepliesStore(_durable)).Build();
        using var cts = new CancellationTokenSource();
        var seen = 0;

        var act = async () =>
        {
            await foreach (var _ in chat.GetStreamingResponseAsync("a long answer please", TestHost.Conversation("alice", "wf-1"), cts.Token))
            {
                if (++seen == 2)
                {
                    await cts.CancelAsync();
                }
            }
        };

        await act.Should().ThrowAsync<OperationCanceledException>();
        (await StoredAsync("alice", "wf-1")).Select(m => m.Content).Should().Equal("a long answer please");
    }

    [Fact]
    public async Task A_failed_or_abandoned_stream_stores_no_reply_on_a_store_without_replies_in_progress()
    {
        var chat = new ChatClientBuilder(_model).UseChatPersistence(new NoRepliesStore(_durable)).Build();
        _model.FailWith = new HttpRequestException("connection reset");
        _model.FailAfterUpdates = 2;

        var failed = async () => await chat.GetStreamingResponseAsync("q1", TestHost.Conversation("alice", "wf-1")).ToListAsync();
        await failed.Should().ThrowAsync<HttpRequestException>();

        _model.FailWith = null;
        _model.FailAfterUpdates = null;
        await foreach (var _ in chat.GetStreamingResponseAsync("q2", TestHost.Conversation("alice", "wf-1")))
        {
            break; // the caller stops reading
        }

        (await StoredAsync("alice", "wf-1")).Select(m => m.Role).Should().Equal(ChatMessageRole.User, ChatMessageRole.User);
    }

    [Fact]
    public async Task Works_without_dependency_injection_and_exposes_the_store()
    {
        using var chat = new PersistentChatClient(_model, _durable);

        await chat.GetResponseAsync("hi", TestHost.Conversation("alice", "wf-1"));

        chat.GetService<IChatSessionStore>().Should().BeSameAs(_durable);
        chat.GetService<FakeChatClient>().Should().BeSameAs(_model);
    }

    [Fact]
    public async Task Provider_message_ids_are_stable_per_session_and_never_collide_across_sessions()
    {
        var chat = new ChatClientBuilder(_model).UseChatPersistence(_durable).Build();
        _model.FixedMessageId = "chatcmpl-same";

        var first = await chat.GetResponseAsync("a", TestHost.Conversation("alice", "wf-1"));
        await chat.GetResponseAsync("b", TestHost.Conversation("alice", "wf-2"));
        await chat.GetResponseAsync("c", TestHost.Conversation("bob", "wf-1"));

        first.Messages[0].MessageId.Should().Be("chatcmpl-same", "the response is returned unchanged");
        var stored = await StoredAsync("alice", "wf-1");
        stored[1].ToChatMessage().MessageId.Should().Be("chatcmpl-same");
        (await StoredAsync("alice", "wf-2")).Should().HaveCount(2);
        (await StoredAsync("bob", "wf-1")).Should().HaveCount(2);
    }

    [Fact]
    public void Building_without_a_registered_store_fails_clearly()
    {
        var services = new ServiceCollection().BuildServiceProvider();

        var act = () => new ChatClientBuilder(_model).UseChatPersistence().Build(services);

        act.Should().Throw<InvalidOperationException>().WithMessage("*IChatSessionStore*");
    }

    [Fact]
    public async Task Accents_and_emoji_survive_in_text_and_metadata()
    {
        var chat = new ChatClientBuilder(_model).UseChatPersistence(_durable).Build();
        var question = new ChatMessage(ChatRole.User, [new TextContent("Olá, ação! "), new TextContent("🎉 coração")])
        {
            AdditionalProperties = new() { ["nota"] = "pão de açúcar 🍞" },
        };

        await chat.GetResponseAsync([question], TestHost.Conversation("alice", "wf-1"));
        await chat.GetResponseAsync("next", TestHost.Conversation("alice", "wf-1"));

        var replayed = _model.Requests[1][0];
        replayed.Contents.OfType<TextContent>().Select(t => t.Text).Should().Equal("Olá, ação! ", "🎉 coração");
        replayed.AdditionalProperties!["nota"]!.ToString().Should().Be("pão de açúcar 🍞");
        (await StoredAsync("alice", "wf-1"))[0].Metadata.GetRawText().Should().Contain("pão de açúcar", "metadata keeps accented text readable (System.Text.Json escapes emoji)");
    }

    private static string Describe(ChatResponseUpdate u) =>
        $"{u.Role}|{u.Text}|{u.MessageId}|{u.ResponseId}|{u.ModelId}|{u.FinishReason}|{string.Join(",", u.Contents.Select(c => c.GetType().Name))}";

    private async Task<IReadOnlyList<StoredChatMessage>> StoredAsync(string userId, string workflowId)
    {
        var session = await _durable.GetOrCreateSessionAsync(userId, workflowId);
        return (await _durable.GetMessagesAsync(userId, session.Id, new ChatHistoryRequest { PageSize = 500 })).Messages;
    }

    /// <summary>Asks for the weather tool once, then answers from its result.</summary>
    private sealed class ToolCallingChatClient : IChatClient
    {
        public List<List<ChatMessage>> Requests { get; } = [];

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            var list = messages.ToList();
            Requests.Add(list);
            var last = list[^1];
            ChatMessage reply = last.Contents.OfType<FunctionResultContent>().FirstOrDefault() is { } result
                ? new(ChatRole.Assistant, $"It is {result.Result}")
                : last.Text.Contains("weather", StringComparison.Ordinal)
                    ? new(ChatRole.Assistant, [new FunctionCallContent("call-1", "weather", new Dictionary<string, object?> { ["city"] = "Paris" })])
                    : new(ChatRole.Assistant, "you are welcome");
            return Task.FromResult(new ChatResponse(reply));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
