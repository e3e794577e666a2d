using System.Text.Json;
using System.Text.Json.Nodes;

namespace ChatPersistence.Sdk.AI.Internal;

/// <summary>
/// Reads the newest part of a session's history that fits a message count and a character budget. When the request's messages
/// are given, it also finds how many of them are already stored as the newest messages of the session (a retry of a call whose
/// model call failed, or a caller that resends the conversation): those are left out of the window and not stored again.
/// It reads the session's active path, or the path that ends at a given message (<see cref="ChatHistoryRequest.LeafId"/>:
/// regenerate, edit-and-resend), and tells the newest message it read: the parent the turn's messages are stored under, so
/// that they never land under a branch the turn did not see. The cost of a linear chat is unchanged: the same pages are read.
/// </summary>
internal static class HistoryWindow
{
    /// <param name="store">The store.</param>
    /// <param name="userId">The owner.</param>
    /// <param name="sessionId">The session.</param>
    /// <param name="maxMessages">The most messages of the window.</param>
    /// <param name="maxCharacters">The window's character budget, if any.</param>
    /// <param name="request">The request's messages to align with the newest stored ones (empty: no alignment).</param>
    /// <param name="leafId">The message whose path is read; <see langword="null"/>: the active path.</param>
    /// <param name="needLeaf">Whether the newest message must be read even when no window is wanted (to name it as a parent).</param>
    /// <param name="cancellationToken">Cancels the reads.</param>
    /// <returns>The window (oldest first), how many request messages are stored already, and the newest message read (the leaf seen).</returns>
    public static async Task<(List<StoredChatMessage> Window, int AlreadyStored, Guid? Leaf)> LoadAsync(
        IChatSessionStore store,
        string userId,
        Guid sessionId,
        int maxMessages,
        int? maxCharacters,
        IReadOnlyList<Encoded> request,
        Guid? leafId,
        bool needLeaf,
        CancellationToken cancellationToken)
    {
        maxMessages = Math.Max(maxMessages, 0);
        var wanted = Math.Max(maxMessages + request.Count, needLeaf ? 1 : 0);
        var newestFirst = new List<StoredChatMessage>();
        if (wanted == 0)
        {
            return (newestFirst, 0, null);
        }

        long beyondRequest = 0;
        var request0 = new ChatHistoryRequest { PageSize = Math.Min(wanted, ChatPersistenceLimits.MaxPageSize), Start = ChatHistoryStart.Newest, LeafId = leafId };
        var reading = true;
        while (reading)
        {
            var page = await store.GetMessagesAsync(userId, sessionId, request0, cancellationToken).ConfigureAwait(false);
            for (var i = page.Messages.Count - 1; i >= 0 && reading; i--)
            {
                newestFirst.Add(page.Messages[i]);
                if (newestFirst.Count > request.Count && maxCharacters is { } budget)
                {
                    // The window starts at most request.Count messages back, so once what lies beyond them is over budget, older
                    // messages can never be part of it.
                    beyondRequest += Cost(page.Messages[i]);
                    reading = beyondRequest <= budget;
                }

                reading &= newestFirst.Count < wanted;
            }

            if (!reading || !page.HasOlder || page.OlderCursor is null)
            {
                break;
            }

            request0 = request0 with { Cursor = page.OlderCursor };
        }

        var leaf = newestFirst.Count > 0 ? newestFirst[0].Id : (Guid?)null;
        var aligned = Align(newestFirst, request);
        var window = new List<StoredChatMessage>(Math.Min(maxMessages, newestFirst.Count));
        long characters = 0;
        for (var i = aligned; i < newestFirst.Count && window.Count < maxMessages; i++)
        {
            if (maxCharacters is { } budget)
            {
                characters += Cost(newestFirst[i]);
                if (characters > budget)
                {
                    break;
                }
            }

            window.Add(newestFirst[i]);
        }

        window.Reverse();

        // A window must not start with tool results whose calls were cut off: model APIs reject them.
        var orphans = 0;
        while (orphans < window.Count && window[orphans].Role == ChatMessageRole.Tool)
        {
            orphans++;
        }

        window.RemoveRange(0, orphans);
        return (window, aligned, leaf);
    }

    /// <summary>The largest k such that the k newest stored messages are the first k messages of the request, in order.</summary>
    private static int Align(List<StoredChatMessage> newestFirst, IReadOnlyList<Encoded> request)
    {
        for (var k = Math.Min(newestFirst.Count, request.Count); k > 0; k--)
        {
            var all = true;
            for (var i = 0; i < k && all; i++)
            {
                // request[i] against the stored message k-1-i places from the newest.
                all = Matches(newestFirst[k - 1 - i], request[i]);
            }

            if (all)
            {
                return k;
            }
        }

        return 0;
    }

    /// <summary>
    /// Whether a request message is the stored one: the stored id is its GUID message id (it was read from the store), or it
    /// encodes to the same role, text and serialised message (ignoring message ids only one side has, and processing flags).
    /// </summary>
    private static bool Matches(StoredChatMessage stored, Encoded candidate)
    {
        var messageId = candidate.Original.MessageId;
        if (Guid.TryParse(messageId, out var guid) && guid == stored.Id)
        {
            return true;
        }

        var encoded = candidate.Stored;
        if (encoded.Role != stored.Role || !string.Equals(encoded.Content, stored.Content, StringComparison.Ordinal))
        {
            return false;
        }

        var left = Message(encoded.Metadata);
        var right = Message(stored.Metadata);
        if (left is null || right is null)
        {
            return left is null && right is null;
        }

        var leftId = left["messageId"];
        var rightId = right["messageId"];
        if (leftId is null || rightId is null)
        {
            _ = left.Remove("messageId");
            _ = right.Remove("messageId");
        }

        IgnoreProcessingFlags(left);
        IgnoreProcessingFlags(right);
        return JsonNode.DeepEquals(left, right);
    }

    /// <summary>
    /// Removes <c>informationalOnly</c> from function calls: <c>FunctionInvokingChatClient</c> sets it on a response's calls after they
    /// ran, i.e. after this client stored the response, so it does not tell two messages apart.
    /// </summary>
    private static void IgnoreProcessingFlags(JsonObject message)
    {
        if (message["contents"] is JsonArray contents)
        {
            foreach (var item in contents)
            {
                if (item is JsonObject content)
                {
                    _ = content.Remove("informationalOnly");
                }
            }
        }
    }

    private static JsonObject? Message(JsonElement? metadata) =>
        metadata is { ValueKind: JsonValueKind.Object } meta
        && meta.TryGetProperty(ChatMessageMetadataKeys.Message, out var envelope)
        && envelope.ValueKind == JsonValueKind.Object
        && envelope.TryGetProperty("message", out var message)
        && message.ValueKind == JsonValueKind.Object
            ? JsonObject.Create(message)
            : null;

    /// <summary>What the message adds to a request: its text and its serialised contents (not the bookkeeping metadata).</summary>
    private static long Cost(StoredChatMessage message) =>
        message.Content.Length
        + (message.Metadata.ValueKind == JsonValueKind.Object && message.Metadata.TryGetProperty(ChatMessageMetadataKeys.Message, out var meai)
            ? meai.GetRawText().Length
            : 0);
}
