using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.AI.Internal;

/// <summary>
/// Converts a turn's chat messages into new stored messages and appends them. Every message gets a new version 7 GUID: storage
/// identity is the store's, and <see cref="ChatMessage.MessageId"/> (a provider's or the caller's) is kept as data, so a provider
/// that repeats ids, or a caller that sends one message object twice, never collides with what is stored. The caller's objects
/// are not changed.
/// </summary>
internal static class StoreWriter
{
    public static List<Encoded> Convert(
        IReadOnlyList<ChatMessage> messages,
        JsonSerializerOptions? serializerOptions,
        StorageLimits limits,
        bool cutLongText,
        Func<int, IEnumerable<KeyValuePair<string, JsonNode?>>?>? extraMetadata = null)
    {
        var result = new List<Encoded>(messages.Count);
        for (var i = 0; i < messages.Count; i++)
        {
            var stored = StoredForm.Encode(messages[i], Guid.CreateVersion7(), serializerOptions, extraMetadata?.Invoke(i), limits, cutLongText);
            result.Add(new Encoded(messages[i], stored));
        }

        return result;
    }

    /// <summary>
    /// Appends <paramref name="messages"/> in order, in batches of <see cref="ChatPersistenceLimits.MaxBatchSize"/>: the first one
    /// under <paramref name="parentId"/> (<see langword="null"/>: the active leaf, the only choice of a store without branches),
    /// each later one under the one before it (the first of a later batch names it, so a concurrent append cannot come between).
    /// </summary>
    /// <returns>The id of the last message appended, or <paramref name="parentId"/> when there was none: the parent of what follows.</returns>
    public static async Task<Guid?> AppendAsync(IChatSessionStore store, string userId, Guid sessionId, IReadOnlyList<Encoded> messages, Guid? parentId, CancellationToken cancellationToken)
    {
        var parent = parentId;
        for (var start = 0; start < messages.Count; start += ChatPersistenceLimits.MaxBatchSize)
        {
            var count = Math.Min(ChatPersistenceLimits.MaxBatchSize, messages.Count - start);
            var batch = new List<NewChatMessage>(count);
            for (var i = start; i < start + count; i++)
            {
                batch.Add(i == start && parent is not null ? messages[i].Stored with { ParentId = parent } : messages[i].Stored);
            }

            _ = await store.AppendMessagesAsync(userId, sessionId, batch, cancellationToken).ConfigureAwait(false);
            parent = parentId is null ? null : batch[^1].Id;
        }

        return messages.Count == 0 ? parentId : parentId is null ? null : messages[^1].Stored.Id;
    }

    /// <summary>Throws before anything is sent when a message cannot be stored as it is (text over the store's content limit).</summary>
    public static void EnsureStorable(IReadOnlyList<Encoded> messages, StorageLimits limits, string paramName)
    {
        for (var i = 0; i < messages.Count; i++)
        {
            var bytes = System.Text.Encoding.UTF8.GetByteCount(messages[i].Stored.Content);
            if (bytes > limits.MaxContentBytes)
            {
                throw new ArgumentException(
                    $"Request message {i} has {bytes} UTF-8 bytes of text; the store keeps at most {limits.MaxContentBytes} (ChatPersistenceOptions.MaxContentBytes). " +
                    "Nothing was sent to the model and nothing was stored.",
                    paramName);
            }
        }
    }
}
