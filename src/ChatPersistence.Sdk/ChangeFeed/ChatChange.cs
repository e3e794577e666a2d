namespace ChatPersistence.Sdk.ChangeFeed;

/// <summary>
/// One change of a user's chat data, as an <see cref="IChatChangeFeed"/> reports it: ids and sequence numbers only, never
/// message content (read that through <see cref="IChatSessionStore"/>, where the store's access rules apply).
/// </summary>
public sealed record ChatChange
{
    /// <summary>
    /// The change's position in the store's feed: unique, and increasing in the order changes are logged. Pass the last
    /// position seen to <see cref="IChatChangeFeed.WatchAsync"/> to resume after it.
    /// </summary>
    public required long Position { get; init; }

    /// <summary>What changed.</summary>
    public required ChatChangeKind Kind { get; init; }

    /// <summary>The owner of the session.</summary>
    public required string UserId { get; init; }

    /// <summary>The session that changed.</summary>
    public required Guid SessionId { get; init; }

    /// <summary>
    /// <see cref="ChatChangeKind.MessagesAppended"/>: the highest sequence appended. <see cref="ChatChangeKind.FavoriteSet"/> and
    /// the reply kinds (<see cref="ChatChangeKind.ReplyGrew"/>, <see cref="ChatChangeKind.ReplyEnded"/>,
    /// <see cref="ChatChangeKind.ReplyStopRequested"/>): the message's sequence. Otherwise <see langword="null"/>.
    /// </summary>
    public long? Sequence { get; init; }

    /// <summary><see cref="ChatChangeKind.FavoriteSet"/> and the reply kinds: the message; otherwise <see langword="null"/>.</summary>
    public Guid? MessageId { get; init; }

    /// <summary><see cref="ChatChangeKind.FavoriteSet"/>: the message's new state; otherwise <see langword="null"/>.</summary>
    public bool? IsFavorite { get; init; }

    /// <summary>
    /// <see cref="ChatChangeKind.ReplyGrew"/>: the reply's stored length in UTF-16 code units (pass it as the offset to
    /// <see cref="IChatSessionStore.ReadReplyAsync"/> next time); otherwise <see langword="null"/>.
    /// </summary>
    public long? Length { get; init; }

    /// <summary><see cref="ChatChangeKind.ReplyEnded"/>: how the reply ended; otherwise <see langword="null"/>.</summary>
    public ChatReplyStatus? Status { get; init; }

    /// <summary>
    /// <see cref="ChatChangeKind.ActivePathChanged"/>: the sequence of the last message the previous and the new active path
    /// share (<see langword="null"/>: none, or not an <see cref="ChatChangeKind.ActivePathChanged"/> change).
    /// </summary>
    public long? ForkSequence { get; init; }

    /// <summary>
    /// Whether the change is volatile (<see cref="ChatChangeKind.ReplyGrew"/>): not logged, so not replayed on resume. Its
    /// <see cref="Position"/> is that of the last logged change delivered before it; do not store it as a resume point
    /// (storing it is harmless, the position is not new).
    /// </summary>
    public bool IsVolatile => Kind == ChatChangeKind.ReplyGrew;
}
