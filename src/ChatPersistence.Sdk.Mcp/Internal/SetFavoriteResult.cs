using System.ComponentModel;

namespace ChatPersistence.Sdk.Mcp.Internal;

/// <summary>The result of <c>set_favorite</c>.</summary>
internal sealed class SetFavoriteResult
{
    [Description("The message id.")]
    public required Guid MessageId { get; init; }

    [Description("Whether the message is now starred.")]
    public required bool Favorite { get; init; }
}
