namespace ChatPersistence.Sdk.Supabase.Internal;

/// <summary>The jsonb object <c>chat_read_messages</c> returns.</summary>
internal sealed class HistoryResult
{
    public List<MessageRow> Messages { get; set; } = [];

    public bool Beyond { get; set; }
}
