using System.ComponentModel;

namespace ChatPersistence.Sdk.Mcp.Internal;

/// <summary>The result of <c>get_chat_messages</c>.</summary>
internal sealed class MessagePageResult
{
    [Description("The workflow whose chat this is.")]
    public required string Workflow { get; init; }

    [Description("How many messages the whole chat has.")]
    public long MessageCount { get; init; }

    [Description("The messages of this page, oldest first; the last one is the newest of the page.")]
    public required IReadOnlyList<MessageItem> Messages { get; init; }

    [Description("Present when older messages exist: pass it as before, with the same workflow, to read the page before this one.")]
    public string? Before { get; init; }
}
