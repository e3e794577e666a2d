namespace ChatPersistence.Sdk;

/// <summary>
/// What a store returns to <see cref="ChatSessionStore"/> for one history read: the rows in traversal order and whether
/// any message lies on the other side of the boundary the read started from.
/// </summary>
/// <param name="Messages">Up to the requested number of messages, in traversal order (descending sequence when reading older
/// messages, ascending when reading newer ones).</param>
/// <param name="HasMessagesBeyondBoundary">When the read started from a boundary sequence: whether a message with a sequence on the
/// other side of it (or equal to it) exists. <see langword="false"/> when there was no boundary.</param>
public sealed record ChatHistorySlice(IReadOnlyList<StoredChatMessage> Messages, bool HasMessagesBeyondBoundary)
{
    /// <summary>
    /// For the returned messages that have other versions, their position among them (stores with
    /// <see cref="ChatStoreCapabilities.Branches"/>); empty otherwise. Positions of other messages are ignored.
    /// </summary>
    public IReadOnlyList<ChatSiblingPosition> Siblings { get; init; } = [];
}
