using System.Text.Json;
using ChatPersistence.Sdk.AI.Internal;
using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.AI;

/// <summary>
/// Conversions between <see cref="ChatMessage"/> (Microsoft.Extensions.AI) and the messages of an <see cref="IChatSessionStore"/>.
/// </summary>
/// <remarks>
/// <para>
/// Columns: <see cref="NewChatMessage.Role"/> is the chat role (<c>user</c>, <c>assistant</c>, <c>system</c>, <c>tool</c>). A custom
/// role is stored as <see cref="ChatMessageRole.System"/> when it is <c>developer</c> and as <see cref="ChatMessageRole.User"/>
/// otherwise; the original role is kept in the metadata and restored. <see cref="NewChatMessage.Content"/> is the concatenated
/// text of the <see cref="TextContent"/> items. <see cref="NewChatMessage.Id"/> is the <see cref="ChatMessage.MessageId"/> when it
/// is a GUID, otherwise the id given or a new version 7 GUID (the original message id is then kept in the metadata and restored).
/// <see cref="NewChatMessage.CreatedAt"/> is <see cref="ChatMessage.CreatedAt"/>.
/// </para>
/// <para>
/// Metadata: everything else — author name, every content item (tool calls and results, reasoning and its protected data, data,
/// URIs, usage, errors, hosted files, approvals…), annotations and additional properties — under
/// <see cref="ChatMessageMetadataKeys.Message"/>, serialised with <see cref="AIJsonUtilities.DefaultOptions"/> (or the options given,
/// e.g. with custom content types added by <c>AddAIContentType</c>); token counts also under <see cref="ChatMessageMetadataKeys.Usage"/>.
/// </para>
/// <para>
/// Not kept: <c>RawRepresentation</c> and exceptions (<see cref="FunctionCallContent.Exception"/>,
/// <see cref="FunctionResultContent.Exception"/>), which are not serialisable. After a round trip, values of type <see cref="object"/>
/// (additional properties, function arguments and results) are <see cref="JsonElement"/>s holding the same JSON, and
/// <see cref="ChatMessage.CreatedAt"/> is the stored time, truncated to microseconds (the store's clock when none was set).
/// </para>
/// </remarks>
public static class ChatMessageConversionExtensions
{
    /// <summary>Converts a chat message into a message to append.</summary>
    /// <param name="message">The message.</param>
    /// <param name="id">The id to store it under; <see langword="null"/> uses its GUID <see cref="ChatMessage.MessageId"/> or a new version 7 GUID.</param>
    /// <param name="serializerOptions">The options that serialise the message; <see langword="null"/> uses <see cref="AIJsonUtilities.DefaultOptions"/>.</param>
    /// <returns>The message to append.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is <see langword="null"/>.</exception>
    /// <exception cref="NotSupportedException">A content or property value cannot be serialised with the options.</exception>
    public static NewChatMessage ToNewChatMessage(this ChatMessage message, Guid? id = null, JsonSerializerOptions? serializerOptions = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        return MessageCodec.Encode(message, id ?? MessageIds.FromMessage(message), serializerOptions, null);
    }

    /// <summary>Converts a stored message back into the chat message it was saved from (see the remarks of this class for what is kept).</summary>
    /// <param name="message">The stored message. Messages saved without this package become text messages.</param>
    /// <param name="serializerOptions">The options that serialised the message; <see langword="null"/> uses <see cref="AIJsonUtilities.DefaultOptions"/>.</param>
    /// <returns>The chat message, with <see cref="ChatMessage.MessageId"/> = the stored id (or the original non-GUID id) and <see cref="ChatMessage.CreatedAt"/> = the stored time.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is <see langword="null"/>.</exception>
    /// <exception cref="JsonException">The stored <see cref="ChatMessageMetadataKeys.Message"/> metadata is not a valid chat message (e.g. an unknown content type).</exception>
    public static ChatMessage ToChatMessage(this StoredChatMessage message, JsonSerializerOptions? serializerOptions = null)
    {
        ArgumentNullException.ThrowIfNull(message);
        return MessageCodec.Decode(message.Id, message.Role, message.Content, message.Metadata, message.CreatedAt, serializerOptions);
    }

    /// <summary>Converts stored messages (e.g. a history page) into chat messages, in the same order.</summary>
    /// <param name="messages">The stored messages.</param>
    /// <param name="serializerOptions">The options that serialised the messages; <see langword="null"/> uses <see cref="AIJsonUtilities.DefaultOptions"/>.</param>
    /// <returns>The chat messages.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="messages"/> is <see langword="null"/>.</exception>
    /// <exception cref="JsonException">A stored message's metadata is not a valid chat message.</exception>
    public static List<ChatMessage> ToChatMessages(this IEnumerable<StoredChatMessage> messages, JsonSerializerOptions? serializerOptions = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return [.. messages.Select(m => m.ToChatMessage(serializerOptions))];
    }

    /// <summary>Reads the token counts saved with a message (<see cref="ChatMessageMetadataKeys.Usage"/>).</summary>
    /// <param name="message">The stored message.</param>
    /// <returns>The usage, or <see langword="null"/> when none was saved.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is <see langword="null"/>.</exception>
    public static UsageDetails? GetUsage(this StoredChatMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return MessageCodec.ReadUsage(message.Metadata);
    }
}
