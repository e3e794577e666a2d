using System.Text.Json.Nodes;

namespace ChatPersistence.Sdk.Mcp.Tests;

/// <summary>A tool call's result as the model would read it: its text, parsed when it is not an error.</summary>
public sealed record ToolResult(bool IsError, string Text, JsonNode? Json)
{
    public JsonNode Body => Json ?? throw new InvalidOperationException("The tool failed: " + Text);
}
