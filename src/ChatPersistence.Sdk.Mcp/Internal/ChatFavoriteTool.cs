using System.ComponentModel;
using System.Security.Claims;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Server;

namespace ChatPersistence.Sdk.Mcp.Internal;

/// <summary>The one writing tool, <c>set_favorite</c>: registered only when the host opts in (<c>WithChatHistoryFavoriteTool()</c>).</summary>
[McpServerToolType]
internal sealed class ChatFavoriteTool(IChatSessionStore store, IOptions<ChatHistoryToolsOptions> options)
{
    [McpServerTool(Name = ChatHistoryToolNames.SetFavorite, Title = "Star or unstar a message", ReadOnly = false, Idempotent = true, Destructive = false, OpenWorld = false, UseStructuredContent = true)]
    [Description("Stars (favorite = true) or unstars (favorite = false) one of the user's messages, found by its id in a result of " +
        "search_chat_history, get_chat_messages or list_favorite_messages. Setting the state it already has changes nothing. " +
        "Only do this when the user asks for it.")]
    public Task<SetFavoriteResult> SetFavoriteAsync(
        [Description("The message id (a UUID) from a previous result.")] Guid messageId,
        [Description("true to star the message, false to unstar it.")] bool favorite,
        ClaimsPrincipal? user = null,
        CancellationToken cancellationToken = default) => ToolErrors.RunAsync(async () =>
        {
            var userId = ToolUser.Resolve(user, options.Value);
            var message = await store.SetFavoriteAsync(userId, messageId, favorite, cancellationToken).ConfigureAwait(false);
            return new SetFavoriteResult { MessageId = message.Id, Favorite = message.IsFavorite };
        });
}
