using System.ComponentModel;

namespace ChatPersistence.Sdk.Mcp.Internal;

/// <summary>The result of <c>search_chat_history</c>.</summary>
internal sealed class SearchResult
{
    [Description("The hits, best match first.")]
    public required IReadOnlyList<SearchHitItem> Hits { get; init; }

    [Description("Present when more hits exist: pass it as cursor, with the same query and workflow, to read them.")]
    public string? NextCursor { get; init; }
}
