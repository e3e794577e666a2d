namespace ChatPersistence.Sdk.Supabase.Internal;

/// <summary>A <c>chat_search</c> row: the message plus its workflow, rank and marked-up headline, and its stored status.</summary>
internal sealed class SearchRow : MessageRow
{
    public short? Status { get; set; }

    public short? StatusReason { get; set; }

    public string? StatusDetail { get; set; }

    public string WorkflowId { get; set; } = "";

    public float Rank { get; set; }

    public string Headline { get; set; } = "";

    public Guid? ParentId { get; set; }

    public bool? OnActivePath { get; set; }

    /// <summary>The message with its status (search finds settled messages only: no lease).</summary>
    /// <returns>The message.</returns>
    public StoredChatMessage ToMessageWithStatus() => ToMessage() with
    {
        Status = Status is { } status ? (ChatReplyStatus)status : ChatReplyStatus.Complete,
        Reason = StatusReason is { } reason ? (ChatReplyReason)reason : ChatReplyReason.None,
        ReasonDetail = StatusDetail,
        ParentId = ParentId,
    };
}
