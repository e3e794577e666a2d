using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.AI.Internal;

/// <summary>Converts chat messages for a session (ids per <see cref="MessageIds.ForSession"/>) and appends them.</summary>
internal static class StoreWriter
{
    public static List<NewChatMessage> Convert(
        IReadOnlyList<ChatMessage> messages,
        Guid sessionId,
        JsonSerializerOptions? serializerOptions,
        Func<int, IEnumerable<KeyValuePair<string, JsonNode?>>?>? extraMetadata = null)
    {
        var result = new List<NewChatMessage>(messages.Count);
        var seen = new HashSet<Guid>();
        for (var i = 0; i < messages.Count; i++)
        {
            var id = MessageIds.ForSession(messages[i], sessionId);
            if (!seen.Add(id))
            {
                // Two messages of one batch share a provider id: keep both, under distinct stable ids.
                id = MessageIds.Derive(sessionId, messages[i].MessageId + "#" + i.ToString(System.Globalization.CultureInfo.InvariantCulture));
                _ = seen.Add(id);
            }

            result.Add(MessageCodec.Encode(messages[i], id, serializerOptions, extraMetadata?.Invoke(i)));
        }

        return result;
    }

    public static async Task AppendAsync(IChatSessionStore store, string userId, Guid sessionId, List<NewChatMessage> messages, CancellationToken cancellationToken)
    {
        for (var start = 0; start < messages.Count; start += ChatPersistenceLimits.MaxBatchSize)
        {
            var count = Math.Min(ChatPersistenceLimits.MaxBatchSize, messages.Count - start);
            _ = await store.AppendMessagesAsync(userId, sessionId, messages.GetRange(start, count), cancellationToken).ConfigureAwait(false);
        }
    }
}
