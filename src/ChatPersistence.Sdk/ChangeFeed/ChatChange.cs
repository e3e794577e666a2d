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
    /// <see cref="ChatChangeKind.MessagesAppended"/>: the highest sequence appended. <see cref="ChatChangeKind.FavoriteSet"/>:
    /// the message's sequence. Otherwise <see langword="null"/>.
    /// </summary>
    public long? Sequence { get; init; }

    /// <summary><see cref="ChatChangeKind.FavoriteSet"/>: the message; otherwise <see langword="null"/>.</summary>
    public Guid? MessageId { get; init; }

    /// <summary><see cref="ChatChangeKind.FavoriteSet"/>: the message's new state; otherwise <see langword="null"/>.</summary>
    public bool? IsFavorite { get; init; }
}
