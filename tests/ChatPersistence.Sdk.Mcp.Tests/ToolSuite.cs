using System.Text.Json;
using System.Text.Json.Nodes;
using ChatPersistence.Sdk.AI;
using FluentAssertions;
using Microsoft.Extensions.AI;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Xunit.Abstractions;

namespace ChatPersistence.Sdk.Mcp.Tests;

/// <summary>Every tool, isolation, bounds and a scripted model, against one store behind one transport (see the subclasses).</summary>
public abstract class ToolSuite<TFixture>(TFixture fixture, ITestOutputHelper output) : IClassFixture<TFixture>
    where TFixture : McpFixture
{
    protected TFixture F { get; } = fixture;

    private int Budget => ChatHistoryToolsOptions.DefaultMaxResultCharacters;

    protected async Task<ToolResult> CallAsync(string user, string tool, Dictionary<string, object?>? args = null)
    {
        var client = await F.Host.ClientAsync(user);
        var result = await client.CallToolAsync(tool, args ?? []);
        var text = string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text));
        Measured.Record(tool, text.Length);
        return new ToolResult(result.IsError == true, text, result.IsError == true ? null : JsonNode.Parse(text));
    }

    [Fact]
    public async Task The_server_lists_the_six_tools_with_schemas_for_models()
    {
        var tools = await (await F.Host.ClientAsync(F.A)).ListToolsAsync();
        tools.Select(t => t.Name).Should().BeEquivalentTo(
            ChatHistoryToolNames.SearchChatHistory, ChatHistoryToolNames.GetChatMessages, ChatHistoryToolNames.ListWorkflows,
            ChatHistoryToolNames.ListFavoriteMessages, ChatHistoryToolNames.SetFavorite, ChatHistoryToolNames.GetMessageVersions);
        foreach (var tool in tools)
        {
            tool.Description.Should().NotBeNullOrWhiteSpace();
            var schema = tool.ProtocolTool.InputSchema;
            schema.GetProperty("type").GetString().Should().Be("object");
            var properties = schema.GetProperty("properties").EnumerateObject().Select(p => p.Name).ToList();
            properties.Should().NotContain(p => p.Contains("user", StringComparison.OrdinalIgnoreCase), "the user never comes from an argument");
            foreach (var property in properties)
            {
                schema.GetProperty("properties").GetProperty(property).TryGetProperty("description", out var description).Should().BeTrue(property);
                description.GetString().Should().NotBeNullOrWhiteSpace();
            }
            tool.ProtocolTool.OutputSchema.Should().NotBeNull();
        }

        var search = tools.Single(t => t.Name == ChatHistoryToolNames.SearchChatHistory).ProtocolTool.InputSchema;
        search.GetProperty("required").EnumerateArray().Select(e => e.GetString()).Should().Equal("query");
        search.GetProperty("properties").GetProperty("limit").GetProperty("maximum").GetInt32().Should().Be(20);
        var page = tools.Single(t => t.Name == ChatHistoryToolNames.GetChatMessages).ProtocolTool;
        page.InputSchema.GetProperty("properties").GetProperty("limit").GetProperty("maximum").GetInt32().Should().Be(50);
        page.Annotations!.ReadOnlyHint.Should().BeTrue();
        tools.Single(t => t.Name == ChatHistoryToolNames.SetFavorite).ProtocolTool.Annotations!.ReadOnlyHint.Should().BeFalse();
    }

    [Fact]
    public async Task search_chat_history_finds_the_users_message_with_workflow_time_role_snippet_and_id()
    {
        var result = (await CallAsync(F.A, ChatHistoryToolNames.SearchChatHistory, new() { ["query"] = "invoice" })).Body;
        var hits = result["hits"]!.AsArray();
        hits.Select(h => (Guid)h!["messageId"]!).Should().BeEquivalentTo([F.AlphaA[0].Id, F.AlphaA[1].Id]);
        var first = hits.Single(h => (Guid)h!["messageId"]! == F.AlphaA[0].Id)!;
        ((string)first["workflow"]!).Should().Be("alpha");
        ((string)first["role"]!).Should().Be("user");
        ((string)first["snippet"]!).Should().Contain("invoice");
        DateTimeOffset.Parse((string)first["time"]!).Should().BeCloseTo(F.AlphaA[0].CreatedAt, TimeSpan.FromSeconds(1));
        ((string)first["time"]!).Should().EndWith("Z");
        hits.Single(h => (Guid)h!["messageId"]! == F.AlphaA[1].Id)!["favorite"]!.GetValue<bool>().Should().BeTrue();

        var accents = (await CallAsync(F.A, ChatHistoryToolNames.SearchChatHistory, new() { ["query"] = "acucar" })).Body;
        ((string)accents["hits"]![0]!["snippet"]!).Should().Contain("açúcar 😀");

        var inBeta = (await CallAsync(F.A, ChatHistoryToolNames.SearchChatHistory, new() { ["query"] = "invoice", ["workflow"] = "beta" })).Body;
        inBeta["hits"]!.AsArray().Should().BeEmpty();

        var paged = (await CallAsync(F.A, ChatHistoryToolNames.SearchChatHistory, new() { ["query"] = "invoice", ["limit"] = 1 })).Body;
        paged["hits"]!.AsArray().Should().HaveCount(1);
        var rest = (await CallAsync(F.A, ChatHistoryToolNames.SearchChatHistory, new() { ["query"] = "invoice", ["limit"] = 1, ["cursor"] = (string)paged["nextCursor"]! })).Body;
        rest["hits"]!.AsArray().Should().HaveCount(1);
        ((Guid)rest["hits"]![0]!["messageId"]!).Should().NotBe((Guid)paged["hits"]![0]!["messageId"]!);

        var bad = await CallAsync(F.A, ChatHistoryToolNames.SearchChatHistory, new() { ["query"] = "?!" });
        bad.IsError.Should().BeTrue();
        bad.Text.Should().Contain("Invalid argument");
    }

    [Fact]
    public async Task get_chat_messages_pages_a_workflow_oldest_first_with_a_before_cursor()
    {
        var all = (await CallAsync(F.A, ChatHistoryToolNames.GetChatMessages, new() { ["workflow"] = "alpha" })).Body;
        all["messages"]!.AsArray().Select(m => (Guid)m!["id"]!).Should().Equal(F.AlphaA.Select(m => m.Id));
        ((long)all["messageCount"]!).Should().Be(5);
        all["before"].Should().BeNull();
        ((string)all["messages"]![4]!["text"]!).Should().Be(F.AlphaA[4].Content);
        ((bool)all["messages"]![1]!["favorite"]!).Should().BeTrue();

        var newest = (await CallAsync(F.A, ChatHistoryToolNames.GetChatMessages, new() { ["workflow"] = "alpha", ["limit"] = 2 })).Body;
        newest["messages"]!.AsArray().Select(m => (Guid)m!["id"]!).Should().Equal(F.AlphaA[3].Id, F.AlphaA[4].Id);
        var older = (await CallAsync(F.A, ChatHistoryToolNames.GetChatMessages, new() { ["workflow"] = "alpha", ["limit"] = 2, ["before"] = (string)newest["before"]! })).Body;
        older["messages"]!.AsArray().Select(m => (Guid)m!["id"]!).Should().Equal(F.AlphaA[1].Id, F.AlphaA[2].Id);
        var oldest = (await CallAsync(F.A, ChatHistoryToolNames.GetChatMessages, new() { ["workflow"] = "alpha", ["limit"] = 2, ["before"] = (string)older["before"]! })).Body;
        oldest["messages"]!.AsArray().Select(m => (Guid)m!["id"]!).Should().Equal(F.AlphaA[0].Id);
        oldest["before"].Should().BeNull();
    }

    [Fact]
    public async Task list_workflows_and_list_favorite_messages_show_the_users_own()
    {
        var workflows = (await CallAsync(F.A, ChatHistoryToolNames.ListWorkflows)).Body;
        workflows["workflows"]!.AsArray().Select(w => (string)w!["workflow"]!).Should().Equal("beta", "alpha");
        var alpha = workflows["workflows"]![1]!;
        ((string)alpha["title"]!).Should().Be("Alpha project");
        ((long)alpha["messageCount"]!).Should().Be(5);
        ((string)alpha["lastMessageTime"]!).Should().EndWith("Z");

        var one = (await CallAsync(F.A, ChatHistoryToolNames.ListWorkflows, new() { ["limit"] = 1 })).Body;
        one["workflows"]!.AsArray().Should().HaveCount(1);
        var next = (await CallAsync(F.A, ChatHistoryToolNames.ListWorkflows, new() { ["limit"] = 1, ["cursor"] = (string)one["nextCursor"]! })).Body;
        ((string)next["workflows"]![0]!["workflow"]!).Should().Be("alpha");

        var favorites = (await CallAsync(F.A, ChatHistoryToolNames.ListFavoriteMessages)).Body;
        var favorite = favorites["messages"]!.AsArray().Should().ContainSingle().Subject!;
        ((Guid)favorite["id"]!).Should().Be(F.AlphaA[1].Id);
        ((string)favorite["workflow"]!).Should().Be("alpha");
        ((string)favorite["text"]!).Should().Be(F.AlphaA[1].Content);
        ((string)favorite["role"]!).Should().Be("assistant");
        (await CallAsync(F.A, ChatHistoryToolNames.ListFavoriteMessages, new() { ["workflow"] = "beta" })).Body["messages"]!.AsArray().Should().BeEmpty();
    }

    [Fact]
    public async Task set_favorite_stars_and_unstars_the_users_message()
    {
        var target = F.BetaA[0];
        var on = (await CallAsync(F.A, ChatHistoryToolNames.SetFavorite, new() { ["messageId"] = target.Id, ["favorite"] = true })).Body;
        ((bool)on["favorite"]!).Should().BeTrue();
        (await F.Store.ListFavoritesAsync(F.A)).Items.Select(m => m.Id).Should().Contain(target.Id);

        var off = (await CallAsync(F.A, ChatHistoryToolNames.SetFavorite, new() { ["messageId"] = target.Id, ["favorite"] = false })).Body;
        ((bool)off["favorite"]!).Should().BeFalse();
        (await F.Store.ListFavoritesAsync(F.A)).Items.Select(m => m.Id).Should().NotContain(target.Id);

        (await CallAsync(F.A, ChatHistoryToolNames.SetFavorite, new() { ["messageId"] = Guid.NewGuid(), ["favorite"] = true })).IsError.Should().BeTrue();
    }

    [Fact]
    public async Task Reading_a_workflow_that_does_not_exist_fails_clearly_and_creates_nothing()
    {
        var before = (await F.Store.ListSessionsAsync(F.A)).Items.Count;
        foreach (var (tool, args) in new (string, Dictionary<string, object?>)[]
        {
            (ChatHistoryToolNames.GetChatMessages, new() { ["workflow"] = "ghost" }),
            (ChatHistoryToolNames.SearchChatHistory, new() { ["query"] = "invoice", ["workflow"] = "ghost" }),
            (ChatHistoryToolNames.ListFavoriteMessages, new() { ["workflow"] = "ghost" }),
            (ChatHistoryToolNames.GetChatMessages, new() { ["workflow"] = new string('x', 300) }),
        })
        {
            var result = await CallAsync(F.A, tool, args);
            result.IsError.Should().BeTrue(tool);
            result.Text.Should().Contain("list_workflows", "the error tells the model what to do");
        }

        (await F.Store.ListSessionsAsync(F.A)).Items.Should().HaveCount(before);
        (await F.Store.ListSessionsAsync(F.A)).Items.Should().NotContain(s => s.WorkflowId == "ghost");
    }

    [Fact]
    public async Task Arguments_of_the_wrong_type_are_refused_naming_the_argument_and_what_it_expects()
    {
        foreach (var (tool, args, name, expected) in new (string, Dictionary<string, object?>, string, string)[]
        {
            (ChatHistoryToolNames.GetChatMessages, new() { ["workflow"] = "alpha", ["limit"] = "ten" }, "limit", "must be an integer from 1 to 50"),
            (ChatHistoryToolNames.GetChatMessages, new() { ["workflow"] = 123 }, "workflow", "must be a string"),
            (ChatHistoryToolNames.GetChatMessages, new() { ["limit"] = 5 }, "workflow", "is required: a string"),
            (ChatHistoryToolNames.GetChatMessages, new() { ["workflow"] = null }, "workflow", "is required: a string"),
            (ChatHistoryToolNames.SearchChatHistory, new() { ["query"] = "invoice", ["cursor"] = 42 }, "cursor", "must be a string"),
            (ChatHistoryToolNames.ListWorkflows, new() { ["limit"] = true }, "limit", "must be an integer from 1 to 50"),
            (ChatHistoryToolNames.ListFavoriteMessages, new() { ["workflow"] = new[] { "alpha" } }, "workflow", "must be a string"),
            (ChatHistoryToolNames.SetFavorite, new() { ["messageId"] = "not-a-uuid", ["favorite"] = true }, "messageId", "must be a UUID string"),
            (ChatHistoryToolNames.SetFavorite, new() { ["messageId"] = F.AlphaA[0].Id, ["favorite"] = "yes" }, "favorite", "must be true or false"),
        })
        {
            var result = await CallAsync(F.A, tool, args);
            result.IsError.Should().BeTrue($"{tool} {JsonSerializer.Serialize(args)}");
            result.Text.Should().StartWith($"The argument '{name}' ").And.Contain(expected).And.NotContain("An error occurred", "the model needs the argument and what it expects");
            output.WriteLine($"{tool}: {result.Text}");
        }

        // Still lenient where the binder is: a number written as a string, a limit above the maximum (reduced), extra arguments.
        (await CallAsync(F.A, ChatHistoryToolNames.GetChatMessages, new() { ["workflow"] = "alpha", ["limit"] = "2" })).Body["messages"]!.AsArray().Should().HaveCount(2);
        (await CallAsync(F.A, ChatHistoryToolNames.ListWorkflows, new() { ["limit"] = 500, ["userId"] = F.B })).IsError.Should().BeFalse();
    }

    [Fact]
    public async Task User_A_cannot_reach_user_B_through_any_tool_or_argument()
    {
        // Names: B's own workflow is unknown to A; the workflow both have is A's own.
        (await CallAsync(F.A, ChatHistoryToolNames.GetChatMessages, new() { ["workflow"] = "b-only" })).IsError.Should().BeTrue();
        var alpha = (await CallAsync(F.A, ChatHistoryToolNames.GetChatMessages, new() { ["workflow"] = "alpha", ["userId"] = F.B, ["user"] = F.B, ["sub"] = F.B })).Body;
        alpha["messages"]!.AsArray().Select(m => (Guid)m!["id"]!).Should().Equal(F.AlphaA.Select(m => m.Id));
        alpha.ToJsonString().Should().NotContain("zebra");

        (await CallAsync(F.A, ChatHistoryToolNames.SearchChatHistory, new() { ["query"] = "zebra" })).Body["hits"]!.AsArray().Should().BeEmpty();
        (await CallAsync(F.A, ChatHistoryToolNames.SearchChatHistory, new() { ["query"] = "zebra", ["workflow"] = "alpha", ["userId"] = F.B })).Body["hits"]!.AsArray().Should().BeEmpty();
        (await CallAsync(F.A, ChatHistoryToolNames.SearchChatHistory, new() { ["query"] = "zebra", ["workflow"] = "b-only" })).IsError.Should().BeTrue();
        (await CallAsync(F.A, ChatHistoryToolNames.ListWorkflows)).Body.ToJsonString().Should().NotContain("b-only");
        var favorites = (await CallAsync(F.A, ChatHistoryToolNames.ListFavoriteMessages)).Body;
        favorites["messages"]!.AsArray().Select(m => (Guid)m!["id"]!).Should().NotContain(F.AlphaB[0].Id);

        // Ids: B's message cannot be starred or unstarred by A.
        (await CallAsync(F.A, ChatHistoryToolNames.SetFavorite, new() { ["messageId"] = F.AlphaB[0].Id, ["favorite"] = false })).IsError.Should().BeTrue();
        (await CallAsync(F.A, ChatHistoryToolNames.SetFavorite, new() { ["messageId"] = F.AlphaB[1].Id, ["favorite"] = true })).IsError.Should().BeTrue();
        var bFavorites = (await F.Store.ListFavoritesAsync(F.B)).Items.Select(m => m.Id).ToList();
        bFavorites.Should().Equal(F.AlphaB[0].Id);

        // Cursors: B's cursors, replayed by A on the same names, are refused.
        var bPage = (await CallAsync(F.B, ChatHistoryToolNames.GetChatMessages, new() { ["workflow"] = "alpha", ["limit"] = 1 })).Body;
        (await CallAsync(F.A, ChatHistoryToolNames.GetChatMessages, new() { ["workflow"] = "alpha", ["before"] = (string)bPage["before"]! })).IsError.Should().BeTrue();
        var bSearch = (await CallAsync(F.B, ChatHistoryToolNames.SearchChatHistory, new() { ["query"] = "zebra", ["limit"] = 1 })).Body;
        (await CallAsync(F.A, ChatHistoryToolNames.SearchChatHistory, new() { ["query"] = "zebra", ["limit"] = 1, ["cursor"] = (string)bSearch["nextCursor"]! })).IsError.Should().BeTrue();
        var bList = (await CallAsync(F.B, ChatHistoryToolNames.ListWorkflows, new() { ["limit"] = 1 })).Body;
        (await CallAsync(F.A, ChatHistoryToolNames.ListWorkflows, new() { ["cursor"] = (string)bList["nextCursor"]! })).IsError.Should().BeTrue();

        // And B still sees exactly B's own.
        (await CallAsync(F.B, ChatHistoryToolNames.ListWorkflows)).Body["workflows"]!.AsArray().Select(w => (string)w!["workflow"]!).Should().BeEquivalentTo("alpha", "b-only");
    }

    [Fact]
    public async Task Results_stay_within_the_budget_on_a_100k_message_history_and_paging_skips_nothing()
    {
        var big = await F.Store.GetOrCreateSessionAsync(F.W, F.BigWorkflow);
        big.MessageCount.Should().Be(McpFixture.BigHistory);
        output.WriteLine($"seeded {McpFixture.BigHistory} messages in {F.SeedTime.TotalSeconds:F1} s");

        // The newest 100 messages are 5,000 characters of escapes each: pages are cut to the budget and continue exactly.
        var expected = new List<Guid>();
        await foreach (var message in F.Store.StreamMessagesAsync(F.W, big.Id, ChatHistoryStart.Newest))
        {
            expected.Add(message.Id);
            if (expected.Count == 150)
            {
                break;
            }
        }

        var seen = new List<Guid>();
        string? before = null;
        while (seen.Count < 150)
        {
            var args = new Dictionary<string, object?> { ["workflow"] = F.BigWorkflow, ["limit"] = 50 };
            if (before is not null)
            {
                args["before"] = before;
            }

            var result = await CallAsync(F.W, ChatHistoryToolNames.GetChatMessages, args);
            result.Text.Length.Should().BeLessThanOrEqualTo(Budget);
            var messages = result.Body["messages"]!.AsArray();
            messages.Should().NotBeEmpty();
            seen.AddRange(messages.Select(m => (Guid)m!["id"]!).Reverse());
            foreach (var message in messages.Where(m => ((string)m!["text"]!).StartsWith("needle", StringComparison.Ordinal)))
            {
                ((bool)message!["truncated"]!).Should().BeTrue();
            }

            before = (string?)result.Body["before"];
            before.Should().NotBeNull();
        }

        seen.Take(150).Should().Equal(expected, "pages cut to the budget continue right after the last message returned");

        // Search, favourites and workflows: the longest ids, titles and texts, at the largest page sizes.
        var search = await CallAsync(F.W, ChatHistoryToolNames.SearchChatHistory, new() { ["query"] = "needle1", ["limit"] = 20 });
        search.Text.Length.Should().BeLessThanOrEqualTo(Budget);
        search.Body["hits"]!.AsArray().Should().NotBeEmpty();

        var favorites = 0;
        string? cursor = null;
        do
        {
            var args = new Dictionary<string, object?> { ["limit"] = 50 };
            if (cursor is not null)
            {
                args["cursor"] = cursor;
            }

            var page = await CallAsync(F.W, ChatHistoryToolNames.ListFavoriteMessages, args);
            page.Text.Length.Should().BeLessThanOrEqualTo(Budget);
            favorites += page.Body["messages"]!.AsArray().Count;
            cursor = (string?)page.Body["nextCursor"];
        }
        while (cursor is not null);
        favorites.Should().Be(McpFixture.WorstWorkflows);

        var workflows = new List<string>();
        cursor = null;
        do
        {
            var args = new Dictionary<string, object?> { ["limit"] = 50 };
            if (cursor is not null)
            {
                args["cursor"] = cursor;
            }

            var page = await CallAsync(F.W, ChatHistoryToolNames.ListWorkflows, args);
            page.Text.Length.Should().BeLessThanOrEqualTo(Budget);
            workflows.AddRange(page.Body["workflows"]!.AsArray().Select(w => (string)w!["workflow"]!));
            cursor = (string?)page.Body["nextCursor"];
        }
        while (cursor is not null);
        workflows.Should().OnlyHaveUniqueItems().And.HaveCount(McpFixture.WorstWorkflows + 1);

        output.WriteLine("longest results (characters): " + Measured.Report());
    }

    [Fact]
    public async Task Results_stay_within_the_budget_as_the_model_sees_them_through_the_official_clients_McpClientTool()
    {
        // What an M.E.AI / Agent Framework model receives: McpClientTool (an AIFunction) returns the whole CallToolResult as JSON
        // when it has structuredContent — the text and structuredContent, the text escaped once more — and the chat client
        // serialises that result for the model with AIJsonUtilities.DefaultOptions (as FunctionInvokingChatClient's providers do).
        var client = await F.Host.ClientAsync(F.W);
        var tools = (await client.ListToolsAsync()).ToDictionary(t => t.Name);
        var longest = new Dictionary<string, int>();
        foreach (var (tool, args) in new (string, Dictionary<string, object?>)[]
        {
            (ChatHistoryToolNames.GetChatMessages, new() { ["workflow"] = F.BigWorkflow, ["limit"] = 50 }),
            (ChatHistoryToolNames.SearchChatHistory, new() { ["query"] = "needle1", ["limit"] = 20 }),
            (ChatHistoryToolNames.ListFavoriteMessages, new() { ["limit"] = 50 }),
            (ChatHistoryToolNames.ListWorkflows, new() { ["limit"] = 50 }),
        })
        {
            var result = await tools[tool].InvokeAsync(new AIFunctionArguments(args));
            var seen = JsonSerializer.Serialize(result, AIJsonUtilities.DefaultOptions);
            longest[tool] = seen.Length;
            seen.Length.Should().BeLessThanOrEqualTo(Budget, $"{tool}: what the model receives through McpClientTool");

            // Clients that read structuredContent get the same result as the text carries.
            var raw = await client.CallToolAsync(tool, args);
            var text = string.Concat(raw.Content.OfType<TextContentBlock>().Select(t => t.Text));
            JsonNode.DeepEquals(JsonNode.Parse(text), JsonSerializer.SerializeToNode(raw.StructuredContent)).Should().BeTrue(tool);
        }

        output.WriteLine("as the model sees them (characters): " + string.Join(", ", longest.Select(kv => $"{kv.Key} {kv.Value:N0}")));
    }

    [Fact]
    public async Task Replies_that_are_not_complete_carry_their_status_and_reason_in_text_and_structuredContent()
    {
        // A user of its own, so these replies do not show up in the other tests' listings.
        var user = await F.Backend.CreateUserAsync();
        var session = await F.Store.GetOrCreateSessionAsync(user, "story");
        var question = await F.Store.AppendMessageAsync(user, session.Id, NewChatMessage.User("Tell me about the walrus."));
        var stopped = await F.Store.BeginReplyAsync(user, session.Id, new NewChatReply());
        await F.Store.FinishReplyAsync(user, stopped.Id, new ChatReplyFinish { Status = ChatReplyStatus.Stopped, Reason = ChatReplyReason.CallerStopped, Text = "The walrus is a" });
        await F.Store.SetFavoriteAsync(user, stopped.Id, true);
        var failed = await F.Store.BeginReplyAsync(user, session.Id, new NewChatReply());
        var detail = "HttpRequestException: " + new string('x', 470);
        await F.Store.FinishReplyAsync(user, failed.Id, new ChatReplyFinish { Status = ChatReplyStatus.Interrupted, Reason = ChatReplyReason.Failed, ReasonDetail = detail, Text = "Walruses live" });
        var streaming = await F.Store.BeginReplyAsync(user, session.Id, new NewChatReply());
        await F.Store.GrowReplyAsync(user, streaming.Id, 0, "Still writing about walruses");

        var client = await F.Host.ClientAsync(user);
        var raw = await client.CallToolAsync(ChatHistoryToolNames.GetChatMessages, new Dictionary<string, object?> { ["workflow"] = "story" });
        var text = JsonNode.Parse(string.Concat(raw.Content.OfType<TextContentBlock>().Select(t => t.Text)))!;
        JsonNode.DeepEquals(text, JsonSerializer.SerializeToNode(raw.StructuredContent)).Should().BeTrue("both forms carry the status");
        var items = text["messages"]!.AsArray();
        items.Select(m => ((Guid)m!["id"]!, (string?)m["status"], (string?)m["reason"], (string)m["text"]!)).Should().Equal(
            (question.Id, null, null, "Tell me about the walrus."),
            (stopped.Id, "stopped", "caller_stopped", "The walrus is a"),
            (failed.Id, "interrupted", "failed", "Walruses live"),
            (streaming.Id, "streaming", null, "Still writing about walruses"));
        items[0]!.AsObject().Should().NotContainKey("status", "a complete message has no status field");
        var shownDetail = (string)items[2]!["reasonDetail"]!;
        shownDetail.Should().StartWith("HttpRequestException: xxx").And.EndWith("…");
        shownDetail.Length.Should().BeLessThanOrEqualTo(200, "the detail is cut to its own small budget");
        items[1]!.AsObject().Should().NotContainKey("reasonDetail");

        // Favourites and search hits carry the status too, on every store.
        var storedFavorite = (await F.Store.ListFavoritesAsync(user)).Items.Should().ContainSingle().Subject;
        storedFavorite.Status.Should().Be(ChatReplyStatus.Stopped);
        var favorite = (await CallAsync(user, ChatHistoryToolNames.ListFavoriteMessages)).Body["messages"]!.AsArray().Should().ContainSingle().Subject!;
        ((Guid)favorite["id"]!).Should().Be(stopped.Id);
        ((string?)favorite["status"]).Should().Be("stopped");
        ((string?)favorite["reason"]).Should().Be("caller_stopped");

        var storedHit = (await F.Store.SearchAsync(user, new ChatSearchRequest("walruses live"))).Items.Should().ContainSingle().Subject.Message;
        var hit = (await CallAsync(user, ChatHistoryToolNames.SearchChatHistory, new() { ["query"] = "walruses live" })).Body["hits"]!.AsArray().Should().ContainSingle().Subject!;
        ((Guid)hit["messageId"]!).Should().Be(failed.Id);
        storedHit.Status.Should().Be(ChatReplyStatus.Interrupted);
        ((string?)hit["status"]).Should().Be("interrupted");
        ((string?)hit["reason"]).Should().Be("failed");
    }

    [Fact]
    public async Task A_scripted_model_answers_by_calling_search_chat_history_and_the_call_and_result_are_stored()
    {
        // A user of its own, so the conversation this test stores does not show up in the other tests' listings.
        var user = await F.Backend.CreateUserAsync();
        var notes = await F.Store.GetOrCreateSessionAsync(user, "notes");
        var agreed = await F.Store.AppendMessageAsync(user, notes.Id, NewChatMessage.User("We agreed the invoice for March is 420 euros."));
        var client = await F.Host.ClientAsync(user);
        var tools = await client.ListToolsAsync();
        var model = new ScriptedModel();
        using var chat = new ChatClientBuilder(model)
            .UseChatPersistence(F.Store, o => o.DefaultUserId = user)
            .UseFunctionInvocation()
            .Build();
        var workflow = "assistant-" + Guid.NewGuid().ToString("N");

        var response = await chat.GetResponseAsync("What did we agree about the March invoice?", new ChatOptions { ConversationId = workflow, Tools = [.. tools] });

        model.Calls.Should().Be(2);
        response.Text.Should().Contain("420 euros").And.Contain(agreed.Id.ToString());
        var session = (await F.Store.ListSessionsAsync(user)).Items.Single(s => s.WorkflowId == workflow);
        var stored = (await F.Store.GetMessagesAsync(user, session.Id)).Messages.ToChatMessages();
        var call = stored.SelectMany(m => m.Contents).OfType<FunctionCallContent>().Should().ContainSingle().Subject;
        call.Name.Should().Be(ChatHistoryToolNames.SearchChatHistory);
        call.Arguments!["query"]!.ToString().Should().Be("invoice");
        var result = stored.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Should().ContainSingle().Subject;
        result.CallId.Should().Be(call.CallId);
        JsonSerializer.Serialize(result.Result).Should().Contain(agreed.Id.ToString()).And.Contain("420 euros");
        stored.Select(m => m.Role).Should().Equal(ChatRole.User, ChatRole.Assistant, ChatRole.Tool, ChatRole.Assistant);
        stored.Last().Text.Should().Contain("420 euros");
    }
}
