namespace ChatPersistence.Sdk.Supabase.Internal;

/// <summary>One message row's columns while a response is read; the metadata is a range of the response, parsed once per page.</summary>
internal struct MessageRowFields
{
    public Guid Id;
    public Guid SessionId;
    public long Seq;
    public ChatMessageRole Role;
    public string? Content;
    public DateTimeOffset CreatedAt;
    public bool IsFavorite;
    public bool Beyond;
    public bool IsNull;

    /// <summary>The reply columns: null status is an ordinary (complete) message.</summary>
    public short Status;
    public short Reason;
    public string? ReasonDetail;
    public DateTimeOffset? LeaseExpiresAt;

    /// <summary>The tree columns (schema 4): the parent (null: a root), and the place among its versions (count 0: not sent).</summary>
    public Guid? ParentId;
    public int SiblingIndex;
    public int SiblingCount;

    /// <summary>Where the metadata value starts in the response; -1 when the row has no metadata column.</summary>
    public int MetadataStart;

    /// <summary>The metadata value's length in bytes; 0 for <c>{}</c>.</summary>
    public int MetadataLength;
}
