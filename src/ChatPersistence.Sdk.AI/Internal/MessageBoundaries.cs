using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.AI.Internal;

/// <summary>
/// Tells, update by update, which message of the response a streaming update belongs to, by the rule
/// <c>ToChatResponse()</c> documents: an update starts a new message when it names an author, a message id or a role other
/// than the current message's. So the index given here is the update's message index in <c>updates.ToChatResponse().Messages</c>.
/// </summary>
internal sealed class MessageBoundaries
{
    private string? _authorName;
    private string? _messageId;
    private ChatRole _role = ChatRole.Assistant;

    /// <summary>The index of the current message; -1 before the first update.</summary>
    public int Index { get; private set; } = -1;

    /// <summary>The role of the current message.</summary>
    public ChatRole Role => _role;

    /// <summary>Where the current message's first update is in the sequence of updates.</summary>
    public int FirstUpdate { get; private set; }

    /// <summary>Takes the next update (number <paramref name="position"/> of the stream) and returns its message index.</summary>
    public int Next(ChatResponseUpdate update, int position)
    {
        var isNew = Index < 0
            || Names(update.AuthorName, _authorName)
            || Names(update.MessageId, _messageId)
            || (update.Role is { } role && role != _role);
        if (isNew)
        {
            Index++;
            FirstUpdate = position;
            _authorName = null;
            _messageId = null;
            _role = ChatRole.Assistant;
        }

        if (!string.IsNullOrEmpty(update.AuthorName))
        {
            _authorName = update.AuthorName;
        }

        if (!string.IsNullOrEmpty(update.MessageId))
        {
            _messageId = update.MessageId;
        }

        if (update.Role is { } newRole)
        {
            _role = newRole;
        }

        return Index;
    }

    private static bool Names(string? value, string? current) => !string.IsNullOrEmpty(value) && value != current;
}
