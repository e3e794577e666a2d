namespace ChatPersistence.Sdk.Supabase.Internal;

/// <summary>A <c>chat_search</c> row: the message plus its workflow, rank and marked-up headline.</summary>
internal sealed class SearchRow : MessageRow
{
    public string WorkflowId { get; set; } = "";

    public float Rank { get; set; }

    public string Headline { get; set; } = "";
}
