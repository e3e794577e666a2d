namespace ChatPersistence.Sdk;

/// <summary>The session's active path after <see cref="IChatSessionStore.SwitchBranchAsync"/>.</summary>
public sealed record ChatActivePath
{
    /// <summary>The session.</summary>
    public required Guid SessionId { get; init; }

    /// <summary>The active leaf: the newest message of the path every read now returns.</summary>
    public required Guid LeafId { get; init; }

    /// <summary>The active leaf's sequence number.</summary>
    public required long LeafSequence { get; init; }

    /// <summary>
    /// The sequence of the last message the previous and the new active path share, or <see langword="null"/> when they
    /// share none (another root). A client keeps its messages up to it and reads the rest again.
    /// </summary>
    public long? ForkSequence { get; init; }

    /// <summary>Whether the active path changed (<see langword="false"/>: the message was already on it, nothing was written).</summary>
    public required bool Changed { get; init; }
}
