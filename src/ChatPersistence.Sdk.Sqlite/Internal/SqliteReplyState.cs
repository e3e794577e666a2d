using ChatPersistence.Sdk.Internal;

namespace ChatPersistence.Sdk.Sqlite.Internal;

/// <summary>
/// A message's reply state as it reads now, computed from the stored columns and the store's clock: nothing is written
/// when a lease expires, every read computes the same answer (issue 26: never "streaming" forever).
/// </summary>
/// <param name="Status">The status as read.</param>
/// <param name="Reason">The reason as read.</param>
/// <param name="Detail">The reason detail as read.</param>
/// <param name="LeaseExpiresAt">While streaming, the deadline; otherwise null.</param>
internal readonly record struct SqliteReplyState(ChatReplyStatus Status, ChatReplyReason Reason, string? Detail, DateTimeOffset? LeaseExpiresAt)
{
    /// <summary>The detail of a reply whose writer made no progress for its lease.</summary>
    public const string LeaseExpiredDetail = "The writer made no progress for the reply's lease.";

    /// <summary>Whether the reply still streams.</summary>
    public bool IsStreaming => Status == ChatReplyStatus.Streaming;

    /// <summary>
    /// The deadline of a streaming reply: the last progress (begin, heartbeat or stop request in <paramref name="touchedAt"/>,
    /// or the last chunk) plus the lease; after a stop request, at most <see cref="ChatPersistenceLimits.StopGrace"/> after it.
    /// </summary>
    /// <param name="touchedAt">The last progress that is not a chunk.</param>
    /// <param name="lastWrittenAt">When the last chunk was written, or null.</param>
    /// <param name="leaseMs">The lease in milliseconds.</param>
    /// <param name="stopRequested">Whether a stop was requested (then <paramref name="touchedAt"/> is when).</param>
    /// <returns>The deadline in unix microseconds.</returns>
    public static long Deadline(long touchedAt, long? lastWrittenAt, long leaseMs, bool stopRequested)
    {
        var progress = Math.Max(touchedAt, lastWrittenAt ?? long.MinValue);
        var deadline = progress + (leaseMs * 1000);
        return stopRequested ? Math.Min(deadline, touchedAt + (long)(ChatPersistenceLimits.StopGrace.Ticks / TimeSpan.TicksPerMicrosecond)) : deadline;
    }

    /// <summary>Computes the state from the stored columns (see <see cref="SqliteReplyRow"/>).</summary>
    /// <param name="storedStatus">The stored status column (null: complete).</param>
    /// <param name="storedReason">The stored reason column.</param>
    /// <param name="detail">The stored detail.</param>
    /// <param name="leaseMs">The lease (null once settled).</param>
    /// <param name="touchedAt">The last progress that is not a chunk.</param>
    /// <param name="lastWrittenAt">When the last chunk was written.</param>
    /// <param name="now">The store's clock.</param>
    /// <returns>The state as read at <paramref name="now"/>.</returns>
    public static SqliteReplyState Read(int? storedStatus, int? storedReason, string? detail, long? leaseMs, long? touchedAt, long? lastWrittenAt, long now)
    {
        var status = (ChatReplyStatus)(storedStatus ?? 0);
        var reason = (ChatReplyReason)(storedReason ?? 0);
        if (status != ChatReplyStatus.Streaming || leaseMs is not { } lease || touchedAt is not { } touched)
        {
            return new SqliteReplyState(status, reason, detail, null);
        }

        var stop = reason == ChatReplyReason.StopRequested;
        var deadline = Deadline(touched, lastWrittenAt, lease, stop);
        if (now < deadline)
        {
            return new SqliteReplyState(ChatReplyStatus.Streaming, reason, null, ChatTime.FromUnixMicroseconds(deadline));
        }

        return stop
            ? new SqliteReplyState(ChatReplyStatus.Stopped, ChatReplyReason.StopRequested, null, null)
            : new SqliteReplyState(ChatReplyStatus.Interrupted, ChatReplyReason.LeaseExpired, LeaseExpiredDetail, null);
    }
}
