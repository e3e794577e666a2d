using System.ComponentModel;

namespace ChatPersistence.Sdk.Mcp.Internal;

/// <summary>One search hit of <c>search_chat_history</c>.</summary>
internal sealed class SearchHitItem
{
    [Description("The workflow whose chat holds the message; pass it to get_chat_messages to read that chat.")]
    public required string Workflow { get; init; }

    [Description("The message id, to cite the message (or to star it with set_favorite, when available).")]
    public required Guid MessageId { get; init; }

    [Description("Who wrote it: user, assistant, system or tool.")]
    public required string Role { get; init; }

    [Description("When it was written (UTC, ISO 8601).")]
    public required string Time { get; init; }

    [Description("The words around the match (an excerpt, not the whole message).")]
    public required string Snippet { get; init; }

    [Description("Present and true when the user starred the message.")]
    public bool? Favorite { get; init; }
}
