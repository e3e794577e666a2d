namespace ChatPersistence.Sdk.Supabase.Internal;

/// <summary>A <c>chat_get_siblings</c> row: one version of a message, and whether it is on the active path.</summary>
internal sealed class SiblingRow
{
    public Guid SessionId { get; set; }

    public Guid? ParentId { get; set; }

    public Guid Id { get; set; }

    public long Seq { get; set; }

    public string Role { get; set; } = "";

    public DateTimeOffset CreatedAt { get; set; }

    public short Status { get; set; }

    public bool IsActive { get; set; }
}
