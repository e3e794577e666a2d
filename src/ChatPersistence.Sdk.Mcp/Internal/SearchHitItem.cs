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

    [Description("Present only when the message is not complete: streaming (a reply still being written: its text so far), stopped (ended on purpose; the text so far is kept) or interrupted (ended by a failure; the text so far is kept).")]
    public string? Status { get; init; }

    [Description("With status: why the reply stopped or was interrupted (stop_requested, caller_stopped, failed, lease_expired, too_large).")]
    public string? Reason { get; init; }

    [Description("With status, when known: a short detail of the reason (e.g. the model's error).")]
    public string? ReasonDetail { get; init; }

    [Description("Present and false when the message is on a version of the conversation that is not the one shown (an earlier edit or answer); get_chat_messages does not show it.")]
    public bool? OnActivePath { get; init; }
}
