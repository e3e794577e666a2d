using System.Text.Json;
using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.AI;

/// <summary>Options of <see cref="PersistentChatClient"/>.</summary>
/// <remarks>Configure before the client is built; the client reads them on each call and does not copy them.</remarks>
public sealed class PersistentChatClientOptions
{
    /// <summary>The default history window: the 100 newest messages.</summary>
    public const int DefaultMaxHistoryMessages = 100;

    /// <summary>
    /// Chooses the conversation of a request. When set and it returns a key, that key is used; when it returns
    /// <see langword="null"/> (or is not set), the key comes from <see cref="ChatOptions.AdditionalProperties"/>
    /// (<see cref="PersistentChatClient.UserIdPropertyName"/>, <see cref="PersistentChatClient.WorkflowIdPropertyName"/>), then
    /// <see cref="DefaultUserId"/> and <see cref="ChatOptions.ConversationId"/> (see <see cref="UseConversationIdAsWorkflowId"/>).
    /// </summary>
    public Func<IEnumerable<ChatMessage>, ChatOptions?, ChatConversationKey?>? ConversationResolver { get; set; }

    /// <summary>The user id used when a request names none (a single-user app); <see langword="null"/> makes the user id required.</summary>
    public string? DefaultUserId { get; set; }

    /// <summary>
    /// Whether <see cref="ChatOptions.ConversationId"/> is the workflow id when <see cref="PersistentChatClient.WorkflowIdPropertyName"/>
    /// is absent. It is then removed from the options passed to the inner client, which would otherwise take it for a
    /// service-side conversation. Default <see langword="true"/>.
    /// </summary>
    public bool UseConversationIdAsWorkflowId { get; set; } = true;

    /// <summary>How many stored messages, at most, are prepended to a request (the newest ones). 0 sends no history. Default 100.</summary>
    public int MaxHistoryMessages { get; set; } = DefaultMaxHistoryMessages;

    /// <summary>
    /// An optional budget for the prepended history, in characters of text plus serialised contents (the <c>meai</c> metadata; a rough token budget: about four
    /// characters a token in English): the newest messages that fit are sent. <see langword="null"/> (default) sets no budget.
    /// </summary>
    public int? MaxHistoryCharacters { get; set; }

    /// <summary>
    /// Whether system messages sent by the caller are stored. Default <see langword="false"/>: callers usually send their system
    /// prompt on every call, so it is sent first (before the history) and not stored, and never repeats in the history.
    /// </summary>
    public bool StoreSystemMessages { get; set; }

    /// <summary>The options that serialise messages into metadata; <see langword="null"/> uses <see cref="AIJsonUtilities.DefaultOptions"/>.</summary>
    public JsonSerializerOptions? SerializerOptions { get; set; }
}
