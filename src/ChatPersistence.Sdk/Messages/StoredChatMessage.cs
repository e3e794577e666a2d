using System.Text.Json;

namespace ChatPersistence.Sdk;

/// <summary>
/// A chat message as the store holds it. Instances are immutable snapshots taken when the store returned them.
/// </summary>
public sealed record StoredChatMessage
{
    /// <summary>The client-generated identifier that makes appends idempotent.</summary>
    public required Guid Id { get; init; }

    /// <summary>The session the message belongs to.</summary>
    public required Guid SessionId { get; init; }

    /// <summary>
    /// The store-assigned order key. Unique in the store and strictly increasing in append order within a session;
    /// history order is this number, never the timestamp. Gaps are allowed.
    /// </summary>
    public required long Sequence { get; init; }

    /// <summary>The author role.</summary>
    public required ChatMessageRole Role { get; init; }

    /// <summary>The text of the message (may be empty when <see cref="Metadata"/> carries the payload, e.g. tool calls).</summary>
    public required string Content { get; init; }

    /// <summary>Host-defined metadata: always a JSON object (<c>{}</c> when none was given).</summary>
    public required JsonElement Metadata { get; init; }

    /// <summary>When the message was created (UTC, microsecond precision): store time, or the time supplied on import.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Whether the user marked the message as a favourite.</summary>
    public bool IsFavorite { get; init; }

    /// <summary>
    /// The message's parent in the session's tree, or <see langword="null"/> for a root (the first message, or another
    /// version of it). Messages appended without a parent have the message before them as their parent.
    /// </summary>
    public Guid? ParentId { get; init; }

    /// <summary>
    /// <see cref="ChatReplyStatus.Complete"/> for every ordinary message; <see cref="ChatReplyStatus.Streaming"/> for a reply
    /// being written (its <see cref="Content"/> is the text stored so far); <see cref="ChatReplyStatus.Stopped"/> or
    /// <see cref="ChatReplyStatus.Interrupted"/> for a reply that ended early, with its text. A streaming reply whose lease
    /// expired reads as ended in every store.
    /// </summary>
    public ChatReplyStatus Status { get; init; }

    /// <summary>Why a reply is stopped or interrupted (or, while streaming, <see cref="ChatReplyReason.StopRequested"/>); <see cref="ChatReplyReason.None"/> otherwise.</summary>
    public ChatReplyReason Reason { get; init; }

    /// <summary>A short detail for a stopped or interrupted reply (e.g. the model's error), or <see langword="null"/>.</summary>
    public string? ReasonDetail { get; init; }

    /// <summary>While <see cref="ChatReplyStatus.Streaming"/>: when the reply reads as ended unless its writer makes progress before; otherwise <see langword="null"/>.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; init; }
}
