using System.ComponentModel;

namespace ChatPersistence.Sdk.Mcp.Internal;

/// <summary>The result of <c>get_message_versions</c>.</summary>
internal sealed class MessageVersionsResult
{
    [Description("The workflow whose chat holds the message.")]
    public required string Workflow { get; init; }

    [Description("The message asked about.")]
    public required Guid MessageId { get; init; }

    [Description("The 0-based position of the message asked about among the versions, oldest first.")]
    public required int Index { get; init; }

    [Description("How many versions there are (1: the message was never edited or regenerated).")]
    public required int Count { get; init; }

    [Description("The versions of this result, oldest first, starting at position from.")]
    public required IReadOnlyList<MessageVersionItem> Versions { get; init; }

    [Description("Present when more versions follow: pass it as from, with the same messageId, to read them.")]
    public int? Next { get; init; }
}
