namespace ChatPersistence.Sdk;

/// <summary>Settings of replies stored while they are written, bound from <c>ChatPersistence:Replies</c>.</summary>
public sealed class ChatReplyOptions
{
    /// <summary>
    /// How long a streaming reply may go without progress (begin, a flush, a heartbeat) before every store reads it as
    /// <see cref="ChatReplyStatus.Interrupted"/> (<see cref="ChatReplyReason.LeaseExpired"/>). Default 30 seconds; between
    /// <see cref="ChatPersistenceLimits.MinReplyLease"/> and <see cref="ChatPersistenceLimits.MaxReplyLease"/>.
    /// </summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromSeconds(30);
}
