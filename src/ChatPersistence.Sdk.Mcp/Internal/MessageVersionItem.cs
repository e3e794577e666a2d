using System.ComponentModel;

namespace ChatPersistence.Sdk.Mcp.Internal;

/// <summary>One version of a message in <c>get_message_versions</c>.</summary>
internal sealed class MessageVersionItem
{
    [Description("The id of this version.")]
    public required Guid Id { get; init; }

    [Description("Who wrote it: user, assistant, system or tool.")]
    public required string Role { get; init; }

    [Description("When it was written (UTC, ISO 8601).")]
    public required string Time { get; init; }

    [Description("The start of its text (at most 200 characters; truncated is true when there is more).")]
    public required string Text { get; init; }

    [Description("Present and true when the text was cut.")]
    public bool? Truncated { get; init; }

    [Description("Present and true for the version on the conversation's active path (the one get_chat_messages shows).")]
    public bool? Active { get; init; }

    [Description("Present only when the version is not complete: streaming, stopped or interrupted.")]
    public string? Status { get; init; }

    [Description("With status: why the reply stopped or was interrupted.")]
    public string? Reason { get; init; }
}
