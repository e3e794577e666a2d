namespace ChatPersistence.Sdk;

/// <summary>
/// A persistent chat: exactly one exists per (<see cref="UserId"/>, <see cref="WorkflowId"/>) pair.
/// Instances are immutable snapshots taken when the store returned them.
/// </summary>
public sealed record ChatSession
{
    /// <summary>The store-assigned identifier of the session.</summary>
    public required Guid Id { get; init; }

    /// <summary>The owner of the session. Every operation on the session must be made for this user.</summary>
    public required string UserId { get; init; }

    /// <summary>The host's identifier of the workflow this chat belongs to (a uuid or any string).</summary>
    public required string WorkflowId { get; init; }

    /// <summary>An optional human-readable title.</summary>
    public string? Title { get; init; }

    /// <summary>When the session was created (UTC, microsecond precision).</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>When the session was last active: created, renamed, appended to or cleared (UTC, microsecond precision).</summary>
    public required DateTimeOffset UpdatedAt { get; init; }

    /// <summary>How many messages the session holds.</summary>
    public long MessageCount { get; init; }

    /// <summary>The creation time of the newest message, or <see langword="null"/> when the session is empty.</summary>
    public DateTimeOffset? LastMessageAt { get; init; }

    /// <summary>
    /// The active leaf: the newest message of the path every read returns, or <see langword="null"/> when the session has
    /// never branched (then it is the newest message).
    /// </summary>
    public Guid? ActiveLeafId { get; init; }
}
