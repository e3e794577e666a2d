using System.ComponentModel;

namespace ChatPersistence.Sdk.Mcp.Internal;

/// <summary>One message of <c>get_chat_messages</c>.</summary>
internal sealed class MessageItem
{
    [Description("The message id, to cite the message.")]
    public required Guid Id { get; init; }

    [Description("Who wrote it: user, assistant, system or tool.")]
    public required string Role { get; init; }

    [Description("When it was written (UTC, ISO 8601).")]
    public required string Time { get; init; }

    [Description("The message text (cut short when truncated is true).")]
    public required string Text { get; init; }

    [Description("Present and true when the text was cut to fit the result.")]
    public bool? Truncated { get; init; }

    [Description("Present and true when the user starred the message.")]
    public bool? Favorite { get; init; }

    [Description("Present only when the message is not complete: streaming (a reply still being written: its text so far), stopped (ended on purpose; the text so far is kept) or interrupted (ended by a failure; the text so far is kept).")]
    public string? Status { get; init; }

    [Description("With status: why the reply stopped or was interrupted (stop_requested, caller_stopped, failed, lease_expired, too_large).")]
    public string? Reason { get; init; }

    [Description("With status, when known: a short detail of the reason (e.g. the model's error).")]
    public string? ReasonDetail { get; init; }

    [Description("Present only when the message has other versions (an edited question, a regenerated answer): its position among them. get_message_versions lists them.")]
    public VersionPosition? Versions { get; init; }
}
