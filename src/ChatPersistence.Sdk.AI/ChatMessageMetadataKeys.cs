namespace ChatPersistence.Sdk.AI;

/// <summary>
/// The names of the metadata properties this package writes on a stored message (<see cref="StoredChatMessage.Metadata"/>).
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Message"/> holds <c>{"v":1,"message":{…}}</c>: the <c>Microsoft.Extensions.AI.ChatMessage</c> serialised with
/// <c>AIJsonUtilities.DefaultOptions</c> minus what the columns already hold (the created time; the role when it is one of the four
/// stored roles; the message id when it is the stored GUID; the text of each text content, replaced by its length in the
/// stored content). It is omitted for a plain text message, which the columns describe completely.
/// </para>
/// <para>The other properties are flat, for hosts and dashboards that read metadata without this package.</para>
/// </remarks>
public static class ChatMessageMetadataKeys
{
    /// <summary>The serialised <c>ChatMessage</c> (<c>"meai"</c>), versioned by its <c>"v"</c> property.</summary>
    public const string Message = "meai";

    /// <summary>The version of the <see cref="Message"/> format this package writes: 1.</summary>
    public const int MessageFormatVersion = 1;

    /// <summary>
    /// Token counts (<c>"usage"</c>), a serialised <c>UsageDetails</c> (<c>inputTokenCount</c>, <c>outputTokenCount</c>,
    /// <c>totalTokenCount</c>…): the response's usage on the last message of a response saved by <see cref="PersistentChatClient"/>,
    /// or the sum of the message's usage contents.
    /// </summary>
    public const string Usage = "usage";

    /// <summary>The model that produced a response message (<c>"modelId"</c>).</summary>
    public const string ModelId = "modelId";

    /// <summary>The provider's response id of a response message (<c>"responseId"</c>).</summary>
    public const string ResponseId = "responseId";

    /// <summary>Why the model stopped (<c>"finishReason"</c>: <c>stop</c>, <c>length</c>, <c>tool_calls</c>, <c>content_filter</c>), on the last message of a response.</summary>
    public const string FinishReason = "finishReason";

    /// <summary>
    /// The <c>AdditionalProperties</c> key (<c>"chat.omitted"</c>) of a placeholder content stored in place of content that did not fit
    /// (binary data over the inline limit, or any content that would push the metadata over the store's limit). Its value is what was
    /// left out (<c>data</c>, <c>functionResult</c>, <c>functionCall</c>, or the content type name); <c>chat.omitted.bytes</c>,
    /// <c>chat.omitted.mediaType</c> and <c>chat.omitted.name</c> describe it. A data content becomes a text content reading
    /// <c>[chat.omitted: image/png "name" of N bytes not stored, …]</c>; a function result keeps its call id with that text as the
    /// result; a function call keeps its id and name with no arguments. Text of a response cut at the content limit ends with
    /// <c>[chat.omitted: text cut …]</c>.
    /// </summary>
    public const string OmittedProperty = "chat.omitted";
}
