namespace ChatPersistence.Sdk.Supabase.Internal;

/// <summary>The row of <c>chat_read_reply</c>: the stored text from <see cref="StartOffset"/>, the length and the status as read now.</summary>
internal sealed class ReplyTextRow
{
    public long StartOffset { get; set; }

    public string Text { get; set; } = "";

    public long Length { get; set; }

    public short Status { get; set; }

    public short? StatusReason { get; set; }

    public DateTimeOffset? LeaseExpiresAt { get; set; }

    public ChatReplyText ToReplyText(Guid messageId) => new()
    {
        MessageId = messageId,
        Offset = StartOffset,
        Text = Text,
        Length = Length,
        Status = (ChatReplyStatus)Status,
        Reason = (ChatReplyReason)(StatusReason ?? 0),
        LeaseExpiresAt = LeaseExpiresAt?.ToUniversalTime(),
    };
}
