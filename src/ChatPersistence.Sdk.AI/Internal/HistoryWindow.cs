namespace ChatPersistence.Sdk.AI.Internal;

/// <summary>
/// Reads the newest part of a session's history that fits a message count and a character budget, leaving out the excluded ids
/// (the messages of the current request) and reporting which of them it met (they are already stored).
/// </summary>
internal static class HistoryWindow
{
    public static async Task<List<StoredChatMessage>> LoadAsync(
        IChatSessionStore store,
        string userId,
        Guid sessionId,
        int maxMessages,
        int? maxCharacters,
        IReadOnlySet<Guid>? exclude,
        ISet<Guid>? excludedFound,
        CancellationToken cancellationToken)
    {
        var newestFirst = new List<StoredChatMessage>();
        if (maxMessages <= 0)
        {
            return newestFirst;
        }

        long characters = 0;
        var request = new ChatHistoryRequest
        {
            PageSize = Math.Min(maxMessages + (exclude?.Count ?? 0), ChatPersistenceLimits.MaxPageSize),
            Start = ChatHistoryStart.Newest,
        };
        while (true)
        {
            var page = await store.GetMessagesAsync(userId, sessionId, request, cancellationToken).ConfigureAwait(false);
            for (var i = page.Messages.Count - 1; i >= 0; i--)
            {
                var message = page.Messages[i];
                if (exclude is not null && exclude.Contains(message.Id))
                {
                    excludedFound?.Add(message.Id);
                    continue;
                }

                if (maxCharacters is { } budget)
                {
                    characters += Cost(message);
                    if (characters > budget)
                    {
                        return Finish(newestFirst);
                    }
                }

                newestFirst.Add(message);
                if (newestFirst.Count >= maxMessages)
                {
                    return Finish(newestFirst);
                }
            }

            if (!page.HasOlder || page.OlderCursor is null)
            {
                return Finish(newestFirst);
            }

            request = request with { Cursor = page.OlderCursor };
        }
    }

    /// <summary>What the message adds to a request: its text and its serialised contents (not the bookkeeping metadata).</summary>
    private static long Cost(StoredChatMessage message) =>
        message.Content.Length
        + (message.Metadata.ValueKind == System.Text.Json.JsonValueKind.Object && message.Metadata.TryGetProperty(ChatMessageMetadataKeys.Message, out var meai)
            ? meai.GetRawText().Length
            : 0);

    private static List<StoredChatMessage> Finish(List<StoredChatMessage> newestFirst)
    {
        newestFirst.Reverse();

        // A window must not start with tool results whose calls were cut off: model APIs reject them.
        var orphans = 0;
        while (orphans < newestFirst.Count && newestFirst[orphans].Role == ChatMessageRole.Tool)
        {
            orphans++;
        }

        newestFirst.RemoveRange(0, orphans);
        return newestFirst;
    }
}
