using System.Text.Json;
using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.AI;

/// <summary>Options of <see cref="PersistentChatClient"/>.</summary>
/// <remarks>Configure before the client is built; the client reads them on each call and does not copy them.</remarks>
public sealed class PersistentChatClientOptions
{
    /// <summary>The default history window: the 100 newest messages.</summary>
    public const int DefaultMaxHistoryMessages = 100;

    /// <summary>The default inline limit for binary data: 512 KiB per message (about 683 KiB of base64 in the metadata).</summary>
    public const int DefaultMaxInlineDataBytes = 512 * 1024;

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

    /// <summary>
    /// How many bytes of binary data (<see cref="DataContent"/>: images, audio, files) one message may store inline in its metadata.
    /// Data contents are kept in order while their total fits; each one that does not is stored as a placeholder that names its media
    /// type, name and size (see <see cref="ChatMessageMetadataKeys.OmittedProperty"/>), and the message itself is always stored.
    /// Default <see cref="DefaultMaxInlineDataBytes"/>; the store's <see cref="ChatPersistenceOptions.MaxMetadataBytes"/> must leave room for
    /// the base64 form (4/3 of the size).
    /// </summary>
    public int MaxInlineDataBytes { get; set; } = DefaultMaxInlineDataBytes;

    /// <summary>
    /// Whether a streamed reply is stored while it streams, when the store keeps replies in progress
    /// (<see cref="ChatStoreCapabilities.Replies"/>): the assistant message that carries the response's text is begun when its first
    /// text arrives, grows as updates stream, and ends <see cref="ChatReplyStatus.Complete"/>, <see cref="ChatReplyStatus.Stopped"/>
    /// (the caller stopped reading or cancelled, or a stop was requested) or <see cref="ChatReplyStatus.Interrupted"/> (the inner
    /// client failed). Default <see langword="true"/>. With <see langword="false"/>, or a store without the capability, a streamed
    /// reply is stored once, at the end of a stream read to the end.
    /// </summary>
    public bool ProgressiveStreaming { get; set; } = true;

    /// <summary>
    /// Whether replies that were stopped or interrupted are part of the history sent to the model (with the text they kept), as
    /// ChatGPT does. Default <see langword="true"/>; <see langword="false"/> leaves them out. A reply still streaming (another
    /// device's) is always left out.
    /// </summary>
    public bool IncludeUnfinishedReplies { get; set; } = true;

    /// <summary>
    /// The settings of the writer of a progressively stored reply (flush interval, end timeout, change feed, clock);
    /// <see langword="null"/> uses the defaults. When no <see cref="ChatReplyWriterOptions.ChangeFeed"/> is given and the
    /// client was built with <c>UseChatPersistence()</c> over the registered store and that store has a change feed
    /// (in-memory, SQLite, PostgreSQL), the writer uses it, so a stop requested anywhere reaches the reply at once.
    /// </summary>
    public ChatReplyWriterOptions? ReplyWriterOptions { get; set; }

    /// <summary>The options that serialise messages into metadata; <see langword="null"/> uses <see cref="AIJsonUtilities.DefaultOptions"/>.</summary>
    public JsonSerializerOptions? SerializerOptions { get; set; }
}
