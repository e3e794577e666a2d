using System.ComponentModel;

namespace ChatPersistence.Sdk.Mcp.Internal;

/// <summary>One message of <c>list_favorite_messages</c>.</summary>
internal sealed class FavoriteItem
{
    [Description("The workflow whose chat holds the message.")]
    public required string Workflow { get; init; }

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
}
