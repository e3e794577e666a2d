using System.Text.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using ModelContextProtocol.Protocol;

namespace ChatPersistence.Sdk.Mcp.Tests;

/// <summary>
/// Versions through the MCP tools (issue 27), on the chat server over streamable HTTP with its in-memory store, the reference
/// store that keeps branches: get_chat_messages reads the active path and says which messages have other versions,
/// search_chat_history says which hits are off the path, get_message_versions lists the versions read-only.
/// </summary>
public sealed class VersionToolTests : IAsyncLifetime
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private HttpHost _host = null!;
    private string _user = null!;
    private StoredChatMessage _q1 = null!;
    private StoredChatMessage _a1 = null!;
    private StoredChatMessage _a1Again = null!;
    private StoredChatMessage _q2 = null!;
    private StoredChatMessage _q2Edited = null!;
    private StoredChatMessage _a2 = null!;

    private IChatSessionStore Store => _host.ServerStore;

    public async Task InitializeAsync()
    {
        _host = await HttpHost.StartAsync(new InMemoryBackend());
        _user = Guid.NewGuid().ToString();
        var session = await Store.GetOrCreateSessionAsync(_user, "trip");
        var first = await Store.AppendMessagesAsync(_user, session.Id, [NewChatMessage.User("Where should we go in May?"), NewChatMessage.Assistant("Lisbon is lovely in May.")]);
        (_q1, _a1) = (first[0], first[1]);

        // The answer regenerated (a reply begun under the question), then the next question edited.
        var again = await Store.BeginReplyAsync(_user, session.Id, new NewChatReply { ParentId = _q1.Id });
        _a1Again = await Store.FinishReplyAsync(_user, again.Id, new ChatReplyFinish { Status = ChatReplyStatus.Complete, Text = "Porto, for the river walks." });
        _q2 = await Store.AppendMessageAsync(_user, session.Id, NewChatMessage.User("How many days for the flamingo trip?"));
        _q2Edited = await Store.AppendVersionAsync(_user, session.Id, _q2.Id, NewChatMessage.User("How many days for the wine tour?"));
        _a2 = await Store.AppendMessageAsync(_user, session.Id, NewChatMessage.Assistant("Three days is enough."));
    }

    public async Task DisposeAsync() => await _host.DisposeAsync();

    [Fact]
    public async Task get_chat_messages_reads_the_active_path_and_marks_messages_that_have_other_versions()
    {
        var (body, raw) = await CallAsync(_user, ChatHistoryToolNames.GetChatMessages, new() { ["workflow"] = "trip" });

        JsonNode.DeepEquals(body, JsonSerializer.SerializeToNode(raw.StructuredContent)).Should().BeTrue("text and structuredContent carry the same items");
        var items = body["messages"]!.AsArray();
        items.Select(m => (Guid)m!["id"]!).Should().Equal(_q1.Id, _a1Again.Id, _q2Edited.Id, _a2.Id);
        items.Select(m => m!["versions"] is { } v ? ((int)v["index"]!, (int)v["count"]!) : ((int, int)?)null)
            .Should().Equal(null, (1, 2), (1, 2), null);
        items[0]!.AsObject().Should().NotContainKey("versions", "a message with one version has no versions field");
        body.ToJsonString().Should().NotContain("flamingo").And.NotContain("Lisbon", "other versions are not on the path");
    }

    [Fact]
    public async Task get_message_versions_lists_every_version_with_the_active_one_and_pages()
    {
        var (body, _) = await CallAsync(_user, ChatHistoryToolNames.GetMessageVersions, new() { ["messageId"] = _a1.Id });

        ((string)body["workflow"]!).Should().Be("trip");
        ((int)body["index"]!).Should().Be(0);
        ((int)body["count"]!).Should().Be(2);
        body.AsObject().Should().NotContainKey("next");
        var versions = body["versions"]!.AsArray();
        versions.Select(v => ((Guid)v!["id"]!, (string)v["role"]!, (string)v["text"]!, (bool?)v["active"])).Should().Equal(
            (_a1.Id, "assistant", "Lisbon is lovely in May.", null),
            (_a1Again.Id, "assistant", "Porto, for the river walks.", true));

        var (first, _) = await CallAsync(_user, ChatHistoryToolNames.GetMessageVersions, new() { ["messageId"] = _q2Edited.Id, ["limit"] = 1 });
        first["versions"]!.AsArray().Select(v => (Guid)v!["id"]!).Should().Equal(_q2.Id);
        ((int)first["index"]!).Should().Be(1);
        ((int)first["next"]!).Should().Be(1);
        var (second, _) = await CallAsync(_user, ChatHistoryToolNames.GetMessageVersions, new() { ["messageId"] = _q2Edited.Id, ["limit"] = 1, ["from"] = 1 });
        second["versions"]!.AsArray().Select(v => ((Guid)v!["id"]!, (bool?)v["active"])).Should().Equal((_q2Edited.Id, true));
        second.AsObject().Should().NotContainKey("next");

        // Reading versions changes nothing: the active path is the same.
        var session = await Store.GetOrCreateSessionAsync(_user, "trip");
        (await Store.GetMessagesAsync(_user, session.Id)).Messages.Select(m => m.Id).Should().Equal(_q1.Id, _a1Again.Id, _q2Edited.Id, _a2.Id);
    }

    [Fact]
    public async Task get_message_versions_is_a_read_only_tool_and_the_tool_set_has_no_switch()
    {
        var client = await _host.ClientAsync(_user);
        var tools = await client.ListToolsAsync();

        var versions = tools.Single(t => t.Name == ChatHistoryToolNames.GetMessageVersions).ProtocolTool;
        versions.Annotations!.ReadOnlyHint.Should().BeTrue();
        versions.InputSchema.GetProperty("required").EnumerateArray().Select(e => e.GetString()).Should().Equal("messageId");
        versions.InputSchema.GetProperty("properties").GetProperty("limit").GetProperty("maximum").GetInt32().Should().Be(20);
        tools.Where(t => t.ProtocolTool.Annotations?.ReadOnlyHint != true).Select(t => t.Name).Should().Equal(ChatHistoryToolNames.SetFavorite);
    }

    [Fact]
    public async Task search_hits_off_the_active_path_say_so()
    {
        var (body, _) = await CallAsync(_user, ChatHistoryToolNames.SearchChatHistory, new() { ["query"] = "days" });

        var hits = body["hits"]!.AsArray().ToDictionary(h => (Guid)h!["messageId"]!, h => h!.AsObject());
        hits.Keys.Should().BeEquivalentTo([_q2.Id, _q2Edited.Id, _a2.Id]);
        ((bool)hits[_q2.Id]["onActivePath"]!).Should().BeFalse();
        hits[_q2Edited.Id].Should().NotContainKey("onActivePath");
        hits[_a2.Id].Should().NotContainKey("onActivePath");
    }

    [Fact]
    public async Task Another_users_message_id_is_not_found_and_reveals_nothing()
    {
        var mallory = Guid.NewGuid().ToString();

        var result = await CallRawAsync(mallory, ChatHistoryToolNames.GetMessageVersions, new() { ["messageId"] = _a1.Id });

        result.IsError.Should().BeTrue();
        var text = string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text));
        text.Should().Contain("Not found").And.NotContain("Lisbon").And.NotContain("trip");
    }

    [Fact]
    public async Task get_message_versions_arguments_of_the_wrong_type_are_refused_naming_the_argument()
    {
        foreach (var (args, name, expected) in new (Dictionary<string, object?>, string, string)[]
        {
            (new() { ["messageId"] = "not-a-uuid" }, "messageId", "must be a UUID string"),
            (new() { ["messageId"] = _a1.Id, ["limit"] = "ten" }, "limit", "must be an integer from 1 to 20"),
            (new() { ["messageId"] = _a1.Id, ["from"] = true }, "from", "must be an integer"),
        })
        {
            var result = await CallRawAsync(_user, ChatHistoryToolNames.GetMessageVersions, args);
            result.IsError.Should().BeTrue(name);
            string.Concat(result.Content.OfType<TextContentBlock>().Select(t => t.Text)).Should().StartWith($"The argument '{name}' ").And.Contain(expected);
        }
    }

    [Fact]
    public async Task A_long_message_with_versions_stays_within_the_message_budget()
    {
        var session = await Store.GetOrCreateSessionAsync(_user, "long");
        var original = await Store.AppendMessageAsync(_user, session.Id, NewChatMessage.User(new string('a', 5_000)));
        await Store.AppendVersionAsync(_user, session.Id, original.Id, NewChatMessage.User(new string('b', 5_000)));

        var (body, _) = await CallAsync(_user, ChatHistoryToolNames.GetChatMessages, new() { ["workflow"] = "long" });

        var item = body["messages"]!.AsArray().Should().ContainSingle().Subject!.AsObject();
        ((bool)item["truncated"]!).Should().BeTrue();
        item["versions"]!.ToJsonString().Should().Be("""{"index":1,"count":2}""");

        // The text and the versions field together fit the budget the text alone had before.
        var versionsField = ",\"versions\":" + item["versions"]!.ToJsonString();
        (JsonSerializer.Serialize((string)item["text"]!, Relaxed).Length + versionsField.Length - 1)
            .Should().BeLessThanOrEqualTo(ChatHistoryToolsOptions.DefaultMaxMessageCharacters);
    }

    private async Task<(JsonNode Body, CallToolResult Raw)> CallAsync(string user, string tool, Dictionary<string, object?> args)
    {
        var raw = await CallRawAsync(user, tool, args);
        var text = string.Concat(raw.Content.OfType<TextContentBlock>().Select(t => t.Text));
        raw.IsError.Should().NotBe(true, text);
        return (JsonNode.Parse(text)!, raw);
    }

    private async Task<CallToolResult> CallRawAsync(string user, string tool, Dictionary<string, object?> args)
    {
        var client = await _host.ClientAsync(user);
        return await client.CallToolAsync(tool, args);
    }

    /// <summary>The chat server's own in-memory store (seeded through <see cref="HttpHost.ServerStore"/>).</summary>
    private sealed class InMemoryBackend : StoreBackend
    {
        public override IChatSessionStore Store => throw new NotSupportedException("Seed through HttpHost.ServerStore: the in-memory store lives in the server.");

        public override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string> { ["ChatPersistence:Store"] = "InMemory" };

        public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
