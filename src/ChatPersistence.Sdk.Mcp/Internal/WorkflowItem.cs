using System.ComponentModel;

namespace ChatPersistence.Sdk.Mcp.Internal;

/// <summary>One workflow of <c>list_workflows</c>.</summary>
internal sealed class WorkflowItem
{
    [Description("The workflow id; pass it as workflow to the other tools.")]
    public required string Workflow { get; init; }

    [Description("The chat's title, when it has one.")]
    public string? Title { get; init; }

    [Description("How many messages the chat has.")]
    public long MessageCount { get; init; }

    [Description("When the last message was written (UTC, ISO 8601); absent when the chat is empty.")]
    public string? LastMessageTime { get; init; }
}
