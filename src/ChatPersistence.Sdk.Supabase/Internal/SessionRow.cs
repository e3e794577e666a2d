namespace ChatPersistence.Sdk.Supabase.Internal;

/// <summary>A <c>chat_sessions</c> row as PostgREST renders it.</summary>
internal sealed class SessionRow
{
    public Guid Id { get; set; }

    public Guid UserId { get; set; }

    public string WorkflowId { get; set; } = "";

    public string? Title { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }

    public long MessageCount { get; set; }

    public DateTimeOffset? LastMessageAt { get; set; }

    public Guid? LeafId { get; set; }

    public ChatSession ToSession() => new()
    {
        Id = Id,
        UserId = UserId.ToString(),
        WorkflowId = WorkflowId,
        Title = Title,
        CreatedAt = CreatedAt.ToUniversalTime(),
        UpdatedAt = UpdatedAt.ToUniversalTime(),
        MessageCount = MessageCount,
        LastMessageAt = LastMessageAt?.ToUniversalTime(),
        ActiveLeafId = LeafId,
    };
}
