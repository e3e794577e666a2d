using System.ComponentModel;

namespace ChatPersistence.Sdk.Mcp.Internal;

/// <summary>The result of <c>list_favorite_messages</c>.</summary>
internal sealed class FavoriteListResult
{
    [Description("The starred messages, most recently written first.")]
    public required IReadOnlyList<FavoriteItem> Messages { get; init; }

    [Description("Present when more favourites exist: pass it as cursor, with the same workflow, to read them.")]
    public string? NextCursor { get; init; }
}
