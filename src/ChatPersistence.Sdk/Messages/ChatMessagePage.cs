namespace ChatPersistence.Sdk;

/// <summary>
/// A window of a session's history. <see cref="Messages"/> is always in chronological order (ascending
/// <see cref="StoredChatMessage.Sequence"/>), whichever direction the page was read in.
/// </summary>
public sealed record ChatMessagePage
{
    /// <summary>The messages of the page, oldest first.</summary>
    public required IReadOnlyList<StoredChatMessage> Messages { get; init; }

    /// <summary>Whether older messages than the first one of the page existed when the page was read.</summary>
    public bool HasOlder { get; init; }

    /// <summary>Whether newer messages than the last one of the page existed when the page was read.</summary>
    public bool HasNewer { get; init; }

    /// <summary>
    /// A cursor that reads the page before the first message, or <see langword="null"/> when the page is empty.
    /// Present even when <see cref="HasOlder"/> is <see langword="false"/>.
    /// </summary>
    public string? OlderCursor { get; init; }

    /// <summary>
    /// A cursor that reads the page after the last message, or <see langword="null"/> when the page is empty.
    /// Present even when <see cref="HasNewer"/> is <see langword="false"/>, so a client can poll for new messages.
    /// </summary>
    public string? NewerCursor { get; init; }

    /// <summary>
    /// For each message of the page that has other versions (edited questions, regenerated answers), its position among them,
    /// for a "‹ 2 / 3 ›" control. A message that is not listed is the only version. Empty for a session that never branched.
    /// </summary>
    public IReadOnlyList<ChatSiblingPosition> Siblings { get; init; } = [];
}
