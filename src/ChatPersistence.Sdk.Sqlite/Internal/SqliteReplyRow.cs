namespace ChatPersistence.Sdk.Sqlite.Internal;

/// <summary>
/// A message row as the reply operations need it: its stored reply state and its last chunk, read in one statement without
/// joining the chunks' text. Times are unix microseconds.
/// </summary>
/// <param name="Sequence">The message's sequence.</param>
/// <param name="Content">The stored content (empty while the text is in chunks).</param>
/// <param name="StoredStatus">The stored <c>status</c> column (null: complete).</param>
/// <param name="StoredReason">The stored <c>status_reason</c> column.</param>
/// <param name="Detail">The stored reason detail.</param>
/// <param name="LeaseMs">The lease; not null exactly while the text is in chunks.</param>
/// <param name="TouchedAt">The last progress that is not a chunk (begin, heartbeat, stop request).</param>
/// <param name="Length">The stored length in UTF-16 units as written (the last chunk's end; 0 without chunks).</param>
/// <param name="Utf8Bytes">The reply's UTF-8 size as written (the last chunk's running total).</param>
/// <param name="LastWrittenAt">When the last chunk was written, or null.</param>
internal sealed record SqliteReplyRow(
    long Sequence,
    string Content,
    int? StoredStatus,
    int? StoredReason,
    string? Detail,
    long? LeaseMs,
    long? TouchedAt,
    long Length,
    long Utf8Bytes,
    long? LastWrittenAt)
{
    /// <summary>Whether the text is still in chunks (streaming, or ended by its lease and not settled yet).</summary>
    public bool IsOpen => LeaseMs is not null;

    /// <summary>Whether a stop was requested (stored reason 1 while streaming).</summary>
    public bool StopRequested => StoredStatus == 1 && StoredReason == (int)ChatReplyReason.StopRequested;

    /// <summary>The reply's state as it reads at <paramref name="now"/>.</summary>
    /// <param name="now">The store's clock, in unix microseconds.</param>
    /// <returns>The state.</returns>
    public SqliteReplyState ReadsAs(long now) =>
        SqliteReplyState.Read(StoredStatus, StoredReason, Detail, LeaseMs, TouchedAt, LastWrittenAt, now);
}
