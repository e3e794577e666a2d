namespace ChatPersistence.Sdk;

/// <summary>
/// The versions of a message: the children of its parent (or the session's roots), oldest first, for a
/// "‹ 2 / 3 ›" control (<see cref="IChatSessionStore.GetSiblingsAsync"/>).
/// </summary>
public sealed record ChatSiblings
{
    /// <summary>The session.</summary>
    public required Guid SessionId { get; init; }

    /// <summary>The parent the versions share, or <see langword="null"/> when they are roots (versions of the first message).</summary>
    public Guid? ParentId { get; init; }

    /// <summary>The versions, oldest first; at least the message asked about.</summary>
    public required IReadOnlyList<ChatSibling> Versions { get; init; }

    /// <summary>The 0-based index of the message asked about in <see cref="Versions"/>.</summary>
    public required int Index { get; init; }

    /// <summary>The index of the version on the session's active path, or -1 when the parent is not on it.</summary>
    public required int ActiveIndex { get; init; }
}
