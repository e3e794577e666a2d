using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.AI.Internal;

/// <summary>
/// Stores a model response's messages in today's stored form: each message converted by <see cref="StoreWriter"/> (text beyond
/// the content limit cut), with <see cref="ChatMessageMetadataKeys.ModelId"/> and <see cref="ChatMessageMetadataKeys.ResponseId"/>,
/// and on the last message <see cref="ChatMessageMetadataKeys.Usage"/> and <see cref="ChatMessageMetadataKeys.FinishReason"/>.
/// Shared by <see cref="PersistentChatClient"/> and <see cref="PersistentReplyAgent"/>.
/// </summary>
internal sealed class ResponseStore(IChatSessionStore store, JsonSerializerOptions? serializerOptions, StorageLimits limits)
{
    public IChatSessionStore Store => store;

    /// <summary>Appends every message of the response (nothing for an empty one), the first under <paramref name="parentId"/> (see <see cref="StoreWriter.AppendAsync"/>).</summary>
    /// <returns>The id of the last message appended, or <paramref name="parentId"/> when there was none.</returns>
    public Task<Guid?> SaveAsync(string userId, Guid sessionId, ChatResponse response, Guid? parentId, CancellationToken cancellationToken) =>
        AppendFromAsync(userId, sessionId, response, 0, lastHasTotals: true, parentId, cancellationToken);

    /// <summary>
    /// Appends the response's messages from <paramref name="from"/> on, the first under <paramref name="parentId"/>; the last one
    /// carries the totals when <paramref name="lastHasTotals"/>.
    /// </summary>
    /// <returns>The id of the last message appended, or <paramref name="parentId"/> when there was none.</returns>
    public async Task<Guid?> AppendFromAsync(string userId, Guid sessionId, ChatResponse response, int from, bool lastHasTotals, Guid? parentId, CancellationToken cancellationToken)
    {
        var messages = response.Messages;
        if (from >= messages.Count)
        {
            return parentId;
        }

        var last = messages.Count - 1;
        var converted = StoreWriter.Convert([.. messages.Skip(from)], serializerOptions, limits, cutLongText: true, i => ResponseMetadata(response, lastHasTotals && from + i == last));
        return await StoreWriter.AppendAsync(store, userId, sessionId, converted, parentId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The metadata today's stored form gives message <paramref name="index"/> of the response (null when there is no such message).</summary>
    public JsonElement? MessageMetadata(ChatResponse response, int index, bool isLast)
    {
        if (index < 0 || index >= response.Messages.Count)
        {
            return null;
        }

        var converted = StoreWriter.Convert([response.Messages[index]], serializerOptions, limits, cutLongText: true, _ => ResponseMetadata(response, isLast));
        return converted[0].Stored.Metadata;
    }

    private static List<KeyValuePair<string, JsonNode?>> ResponseMetadata(ChatResponse response, bool isLast)
    {
        var metadata = new List<KeyValuePair<string, JsonNode?>>(4);
        if (response.ModelId is { } model)
        {
            metadata.Add(new(ChatMessageMetadataKeys.ModelId, JsonValue.Create(model)));
        }

        if (response.ResponseId is { } responseId)
        {
            metadata.Add(new(ChatMessageMetadataKeys.ResponseId, JsonValue.Create(responseId)));
        }

        if (isLast && response.Usage is { } usage)
        {
            metadata.Add(new(ChatMessageMetadataKeys.Usage, JsonSerializer.SerializeToNode(usage, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(UsageDetails)))));
        }

        if (isLast && response.FinishReason is { } finish)
        {
            metadata.Add(new(ChatMessageMetadataKeys.FinishReason, JsonValue.Create(finish.Value)));
        }

        return metadata;
    }
}
