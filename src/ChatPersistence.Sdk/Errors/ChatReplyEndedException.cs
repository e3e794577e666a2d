namespace ChatPersistence.Sdk;

/// <summary>
/// Text was sent to a reply that is no longer being written (finished, stopped, interrupted, too large, lease expired), or
/// to a message that never was a reply in progress. Nothing was written; <see cref="Length"/> is what the reply kept.
/// </summary>
public sealed class ChatReplyEndedException : ChatConflictException
{
    /// <summary>Creates an exception with a default message.</summary>
    public ChatReplyEndedException()
        : base("The reply has ended; no more text can be added.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What happened.</param>
    public ChatReplyEndedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the underlying cause.</summary>
    /// <param name="message">What happened.</param>
    /// <param name="innerException">The underlying cause.</param>
    public ChatReplyEndedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The reply's status: <see cref="ChatReplyStatus.Complete"/>, <see cref="ChatReplyStatus.Stopped"/> or <see cref="ChatReplyStatus.Interrupted"/>.</summary>
    public ChatReplyStatus Status { get; init; }

    /// <summary>Why it ended.</summary>
    public ChatReplyReason Reason { get; init; }

    /// <summary>The stored length (UTF-16 code units): the text that survived.</summary>
    public long Length { get; init; }

    /// <summary>Creates the exception for a reply that ended.</summary>
    /// <param name="messageId">The reply.</param>
    /// <param name="status">Its status.</param>
    /// <param name="reason">Why it ended.</param>
    /// <param name="length">Its stored length.</param>
    /// <returns>The exception.</returns>
    public static ChatReplyEndedException For(Guid messageId, ChatReplyStatus status, ChatReplyReason reason, long length) =>
        new($"Reply '{messageId}' is {status}{(reason == ChatReplyReason.None ? "" : $" ({reason})")} with {length} characters stored; no more text can be added.")
        {
            MessageId = messageId,
            Status = status,
            Reason = reason,
            Length = length,
        };
}
