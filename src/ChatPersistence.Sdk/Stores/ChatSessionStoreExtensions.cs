using System.Runtime.CompilerServices;

namespace ChatPersistence.Sdk;

/// <summary>Conveniences over <see cref="IChatSessionStore"/> that every store gets.</summary>
public static class ChatSessionStoreExtensions
{
    /// <summary>Appends one message (see <see cref="IChatSessionStore.AppendMessagesAsync"/>).</summary>
    /// <param name="store">The store.</param>
    /// <param name="userId">The owner.</param>
    /// <param name="sessionId">The session id.</param>
    /// <param name="message">The message.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The stored message.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="store"/> or <paramref name="message"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">The message is invalid.</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    public static async Task<StoredChatMessage> AppendMessageAsync(this IChatSessionStore store, string userId, Guid sessionId, NewChatMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(message);
        var stored = await store.AppendMessagesAsync(userId, sessionId, [message], cancellationToken).ConfigureAwait(false);
        return stored[0];
    }

    /// <summary>
    /// Streams a session's whole history, one keyset page at a time, holding at most one page in memory: oldest first by
    /// default, or newest first. Messages appended while streaming oldest-first are included when reached.
    /// </summary>
    /// <param name="store">The store.</param>
    /// <param name="userId">The owner.</param>
    /// <param name="sessionId">The session id.</param>
    /// <param name="start">Which end to start from.</param>
    /// <param name="pageSize">The page size of the underlying reads, 1 to <see cref="ChatPersistenceLimits.MaxPageSize"/>.</param>
    /// <param name="cancellationToken">Cancels the enumeration.</param>
    /// <returns>The messages, in the direction chosen.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="store"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An argument is invalid (thrown when enumeration starts).</exception>
    /// <exception cref="ChatNotFoundException">The session does not exist or is not the user's.</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    public static async IAsyncEnumerable<StoredChatMessage> StreamMessagesAsync(
        this IChatSessionStore store,
        string userId,
        Guid sessionId,
        ChatHistoryStart start = ChatHistoryStart.Oldest,
        int pageSize = 200,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        await foreach (var message in StreamAsync(store, userId, sessionId, new ChatHistoryRequest { PageSize = pageSize, Start = start }, cancellationToken).ConfigureAwait(false))
        {
            yield return message;
        }
    }

    // Pages through a history read (any path, or all branches) from the request's end, one page in memory.
    internal static async IAsyncEnumerable<StoredChatMessage> StreamAsync(
        IChatSessionStore store,
        string userId,
        Guid sessionId,
        ChatHistoryRequest request,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        while (true)
        {
            var page = await store.GetMessagesAsync(userId, sessionId, request, cancellationToken).ConfigureAwait(false);
            if (request.Start == ChatHistoryStart.Oldest)
            {
                foreach (var message in page.Messages)
                {
                    yield return message;
                }

                if (!page.HasNewer)
                {
                    yield break;
                }

                request = request with { Cursor = page.NewerCursor };
            }
            else
            {
                for (var i = page.Messages.Count - 1; i >= 0; i--)
                {
                    yield return page.Messages[i];
                }

                if (!page.HasOlder)
                {
                    yield break;
                }

                request = request with { Cursor = page.OlderCursor };
            }
        }
    }
}
