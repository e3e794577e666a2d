namespace ChatPersistence.Sdk;

/// <summary>A reply's text after an offset, with its length and status (<see cref="IChatSessionStore.ReadReplyAsync"/>).</summary>
public sealed record ChatReplyText
{
    /// <summary>The reply.</summary>
    public required Guid MessageId { get; init; }

    /// <summary>The offset asked for (UTF-16 code units).</summary>
    public required long Offset { get; init; }

    /// <summary>The stored text from <see cref="Offset"/> to the stored end (empty when the offset is at or past the end).</summary>
    public required string Text { get; init; }

    /// <summary>The stored length, in UTF-16 code units.</summary>
    public required long Length { get; init; }

    /// <summary>The reply's status as read now (an expired lease reads as ended).</summary>
    public required ChatReplyStatus Status { get; init; }

    /// <summary>Why it ended, or <see cref="ChatReplyReason.StopRequested"/> while a requested stop is pending.</summary>
    public ChatReplyReason Reason { get; init; }

    /// <summary>While streaming: when the reply reads as ended unless its writer makes progress; otherwise <see langword="null"/>.</summary>
    public DateTimeOffset? LeaseExpiresAt { get; init; }
}
