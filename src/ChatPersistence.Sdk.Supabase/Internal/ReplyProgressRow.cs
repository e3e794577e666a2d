namespace ChatPersistence.Sdk.Supabase.Internal;

/// <summary>The row of <c>chat_grow_reply</c>: the reply's length and lease after the flush, and its status.</summary>
internal sealed class ReplyProgressRow
{
    public long Length { get; set; }

    public DateTimeOffset LeaseExpiresAt { get; set; }

    public bool StopRequested { get; set; }

    public short Status { get; set; }

    public short? StatusReason { get; set; }

    public ChatReplyProgress ToProgress() => new()
    {
        Length = Length,
        LeaseExpiresAt = LeaseExpiresAt.ToUniversalTime(),
        StopRequested = StopRequested,
        Status = (ChatReplyStatus)Status,
        Reason = (ChatReplyReason)(StatusReason ?? 0),
    };
}
