using System.Text.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.AI.Tests;

public sealed class ConversionTests
{
    private static readonly DateTimeOffset Created = new(2025, 1, 2, 3, 4, 5, 123, TimeSpan.Zero);

    public static TheoryData<string> ContentKinds => [.. Contents.Keys];

    /// <summary>One instance of every content type MEAI 10.11 serialises (by its "$type" discriminator), with its properties set.</summary>
    private static readonly Dictionary<string, Func<AIContent>> Contents = new()
    {
        ["text"] = () => new TextContent("hello") { Annotations = [new CitationAnnotation { Title = "doc", Url = new Uri("https://example.com/doc") }] },
        ["reasoning"] = () => new TextReasoningContent("thinking…") { ProtectedData = "encrypted-blob" },
        ["functionCall"] = () => new FunctionCallContent("call1", "getWeather", new Dictionary<string, object?> { ["city"] = "Paris", ["days"] = 3 }) { InformationalOnly = true },
        ["functionResult"] = () => new FunctionResultContent("call1", new Dictionary<string, object?> { ["temp"] = 20, ["sky"] = "clear" }),
        ["data"] = () => new DataContent(new byte[] { 1, 2, 3 }, "image/png") { Name = "dot.png" },
        ["uri"] = () => new UriContent("https://example.com/a.png", "image/png"),
        ["usage"] = () => new UsageContent(new UsageDetails { InputTokenCount = 5, OutputTokenCount = 7, TotalTokenCount = 12, CachedInputTokenCount = 1, ReasoningTokenCount = 2, AdditionalCounts = new() { ["x"] = 9 } }),
        ["error"] = () => new ErrorContent("boom") { ErrorCode = "E1", Details = "details" },
        ["hostedFile"] = () => new HostedFileContent("file-123") { Name = "report.pdf", MediaType = "application/pdf" },
        ["hostedVectorStore"] = () => new HostedVectorStoreContent("vs-1"),
        ["toolCall"] = () => new ToolCallContent("tc-1"),
        ["toolResult"] = () => new ToolResultContent("tc-1"),
        ["toolApprovalRequest"] = () => new ToolApprovalRequestContent("ap-1", new FunctionCallContent("call2", "deleteFile", new Dictionary<string, object?> { ["path"] = "/tmp/x" })),
        ["toolApprovalResponse"] = () => new ToolApprovalResponseContent("ap-1", true, new FunctionCallContent("call2", "deleteFile")) { Reason = "ok" },
        ["mcpServerToolCall"] = () => new McpServerToolCallContent("mcp-1", "search", "docs-server") { Arguments = new Dictionary<string, object?> { ["q"] = "hi" } },
        ["mcpServerToolResult"] = () => new McpServerToolResultContent("mcp-1") { Outputs = [new TextContent("found")] },
        ["imageGenerationToolCall"] = () => new ImageGenerationToolCallContent("img-1"),
        ["imageGenerationToolResult"] = () => new ImageGenerationToolResultContent("img-1") { Outputs = [new UriContent("https://example.com/i.png", "image/png")] },
        ["codeInterpreterToolCall"] = () => new CodeInterpreterToolCallContent("ci-1") { Inputs = [new TextContent("print(1)")] },
        ["codeInterpreterToolResult"] = () => new CodeInterpreterToolResultContent("ci-1") { Outputs = [new TextContent("1")] },
        ["webSearchToolCall"] = () => new WebSearchToolCallContent("ws-1") { Queries = ["dotnet"] },
        ["webSearchToolResult"] = () => new WebSearchToolResultContent("ws-1") { Outputs = [new UriContent("https://dot.net", "text/html")] },
        ["bareAIContent"] = () => new AIContent { AdditionalProperties = new() { ["custom"] = "value" } },
    };

    [Fact]
    public void Every_content_type_of_MEAI_is_covered()
    {
        // The discriminators MEAI registers on AIContent: adding a type upstream makes this test list it.
        var registered = typeof(AIContent).GetCustomAttributes(typeof(System.Text.Json.Serialization.JsonDerivedTypeAttribute), false)
            .Cast<System.Text.Json.Serialization.JsonDerivedTypeAttribute>()
            .Select(a => (string)a.TypeDiscriminator!)
            .ToList();
        registered.Should().NotBeEmpty();

        // InputRequestContent and InputResponseContent have only protected constructors: their public subclasses
        // (toolApprovalRequest, toolApprovalResponse) are the instances that exist, and are covered.
        Contents.Keys.Should().Contain(registered.Except(["inputRequest", "inputResponse"]));
    }

    [Theory]
    [MemberData(nameof(ContentKinds))]
    public async Task Each_content_type_round_trips_through_a_store(string kind)
    {
        var content = Contents[kind]();
        content.AdditionalProperties ??= [];
        content.AdditionalProperties["tag"] = kind;
        var message = new ChatMessage(ChatRole.Assistant, [new TextContent("before "), content, new TextContent("after")])
        {
            AuthorName = "bot",
            CreatedAt = Created,
            MessageId = Guid.CreateVersion7().ToString(),
            AdditionalProperties = new() { ["k"] = "v", ["n"] = 3 },
        };

        var restored = await RoundTripAsync(message);

        var (expected, actual) = (Normalise(message), Normalise(restored));
        JsonNode.DeepEquals(expected, actual).Should().BeTrue($"the restored message\n{actual}\nshould equal the original (property order aside)\n{expected}");
        restored.Contents[1].GetType().Should().Be(content.GetType());
        restored.Text.Should().Be(message.Text);
    }

    [Fact]
    public async Task Plain_text_message_is_stored_in_the_columns_only()
    {
        var message = new ChatMessage(ChatRole.User, "just text");
        var stored = await StoreAsync(message);

        stored.Content.Should().Be("just text");
        stored.Role.Should().Be(ChatMessageRole.User);
        stored.Metadata.EnumerateObject().Should().BeEmpty();
        var restored = stored.ToChatMessage();
        restored.Text.Should().Be("just text");
        restored.Role.Should().Be(ChatRole.User);
        restored.MessageId.Should().Be(stored.Id.ToString());
        restored.CreatedAt.Should().Be(stored.CreatedAt);
    }

    [Fact]
    public async Task Text_is_not_duplicated_in_the_metadata()
    {
        var longText = new string('x', 10_000);
        var message = new ChatMessage(ChatRole.Assistant, [new TextContent(longText), new FunctionCallContent("c", "f")]);
        var stored = await StoreAsync(message);

        stored.Content.Should().Be(longText);
        stored.Metadata.GetRawText().Length.Should().BeLessThan(500);
        (await RoundTripAsync(message)).Contents.OfType<TextContent>().Single().Text.Should().Be(longText);
    }

    [Theory]
    [InlineData("user", ChatMessageRole.User)]
    [InlineData("assistant", ChatMessageRole.Assistant)]
    [InlineData("system", ChatMessageRole.System)]
    [InlineData("tool", ChatMessageRole.Tool)]
    [InlineData("developer", ChatMessageRole.System)]
    [InlineData("critic", ChatMessageRole.User)]
    public async Task Roles_map_to_columns_and_custom_roles_are_restored(string role, ChatMessageRole column)
    {
        var message = new ChatMessage(new ChatRole(role), "hi");
        var stored = await StoreAsync(message);

        stored.Role.Should().Be(column);
        stored.ToChatMessage().Role.Value.Should().Be(role);
    }

    [Fact]
    public async Task Non_guid_message_id_is_kept_and_a_guid_message_id_is_the_stored_id()
    {
        var withGuid = new ChatMessage(ChatRole.User, "a") { MessageId = Guid.NewGuid().ToString() };
        var withProviderId = new ChatMessage(ChatRole.Assistant, "b") { MessageId = "chatcmpl-42" };

        (await StoreAsync(withGuid)).Id.Should().Be(Guid.Parse(withGuid.MessageId));
        var stored = await StoreAsync(withProviderId);
        stored.Id.Should().NotBeEmpty();
        stored.ToChatMessage().MessageId.Should().Be("chatcmpl-42");
        (await RoundTripAsync(withProviderId)).MessageId.Should().Be("chatcmpl-42");
    }

    [Fact]
    public async Task Usage_is_readable_from_the_metadata()
    {
        var message = new ChatMessage(ChatRole.Assistant, [new TextContent("x"), new UsageContent(new UsageDetails { InputTokenCount = 3, OutputTokenCount = 4, TotalTokenCount = 7 })]);
        var stored = await StoreAsync(message);

        var usage = stored.GetUsage();
        usage.Should().NotBeNull();
        usage!.InputTokenCount.Should().Be(3);
        usage.TotalTokenCount.Should().Be(7);
        stored.Metadata.GetProperty("usage").GetProperty("outputTokenCount").GetInt64().Should().Be(4);
    }

    [Fact]
    public async Task What_cannot_round_trip_is_documented_behaviour()
    {
        var call = new FunctionCallContent("c1", "f", new Dictionary<string, object?> { ["n"] = 1 }) { Exception = new InvalidOperationException("x"), RawRepresentation = new object() };
        var result = new FunctionResultContent("c1", 42) { Exception = new InvalidOperationException("y") };
        var message = new ChatMessage(ChatRole.Assistant, [call, result]) { RawRepresentation = new object() };

        var restored = await RoundTripAsync(message);

        restored.RawRepresentation.Should().BeNull();
        var restoredCall = restored.Contents.OfType<FunctionCallContent>().Single();
        restoredCall.Exception.Should().BeNull();
        restoredCall.RawRepresentation.Should().BeNull();
        restoredCall.Arguments!["n"].Should().BeOfType<JsonElement>().Which.GetInt32().Should().Be(1);
        var restoredResult = restored.Contents.OfType<FunctionResultContent>().Single();
        restoredResult.Exception.Should().BeNull();
        restoredResult.Result.Should().BeOfType<JsonElement>().Which.GetInt32().Should().Be(42);
    }

    [Fact]
    public async Task Custom_content_types_round_trip_with_the_options_that_know_them()
    {
        var options = new JsonSerializerOptions(AIJsonUtilities.DefaultOptions);
        options.AddAIContentType<CustomContent>("custom");
        options.MakeReadOnly();
        var message = new ChatMessage(ChatRole.Assistant, [new CustomContent { Payload = "p" }]);

        var store = new InMemoryChatSessionStore();
        var session = await store.GetOrCreateSessionAsync("u", "w");
        var stored = await store.AppendMessageAsync("u", session.Id, message.ToNewChatMessage(serializerOptions: options));

        stored.ToChatMessage(options).Contents.Single().Should().BeOfType<CustomContent>().Which.Payload.Should().Be("p");
        var act = () => stored.ToChatMessage();
        act.Should().Throw<JsonException>();
    }

    [Fact]
    public async Task Retrying_the_same_conversion_is_idempotent()
    {
        var message = new ChatMessage(ChatRole.Assistant, [new TextContent("t"), new FunctionCallContent("c", "f")]) { MessageId = Guid.NewGuid().ToString() };
        var store = new InMemoryChatSessionStore();
        var session = await store.GetOrCreateSessionAsync("u", "w");

        await store.AppendMessageAsync("u", session.Id, message.ToNewChatMessage());
        await store.AppendMessageAsync("u", session.Id, message.ToNewChatMessage());

        (await store.GetMessagesAsync("u", session.Id)).Messages.Should().HaveCount(1);
    }

    internal sealed class CustomContent : AIContent
    {
        public string? Payload { get; set; }
    }

    private static async Task<StoredChatMessage> StoreAsync(ChatMessage message)
    {
        var store = new InMemoryChatSessionStore();
        var session = await store.GetOrCreateSessionAsync("u", "w");
        return await store.AppendMessageAsync("u", session.Id, message.ToNewChatMessage());
    }

    /// <summary>Stores the message, reads it back with its metadata keys reordered as PostgreSQL jsonb may, and converts it back.</summary>
    private static async Task<ChatMessage> RoundTripAsync(ChatMessage message)
    {
        var stored = await StoreAsync(message);
        var reordered = JsonSerializer.SerializeToElement(Reverse(JsonNode.Parse(stored.Metadata.GetRawText())));
        return (stored with { Metadata = reordered }).ToChatMessage();
    }

    private static JsonNode? Reverse(JsonNode? node) => node switch
    {
        JsonObject obj => new JsonObject(obj.Reverse().Select(p => KeyValuePair.Create(p.Key, Reverse(p.Value)))),
        JsonArray array => new JsonArray([.. array.Select(Reverse)]),
        _ => node?.DeepClone(),
    };

    private static JsonObject Normalise(ChatMessage message)
    {
        var node = JsonSerializer.SerializeToNode(message, AIJsonUtilities.DefaultOptions)!.AsObject();
        node.Remove("messageId");
        node.Remove("createdAt");
        return node;
    }
}
