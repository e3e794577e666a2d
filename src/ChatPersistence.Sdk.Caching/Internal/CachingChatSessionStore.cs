namespace ChatPersistence.Sdk.Internal;

/// <summary>
/// Caches, in <see cref="ChatCache"/> (HybridCache), the session id of each (user, workflow), each session by id, and the
/// newest history page of each session, so reopening a workflow costs no round trip to the store. Everything else passes
/// through.
/// </summary>
/// <remarks>
/// <para>
/// This host's writes bump the session's (or, for a favourite, the user's) generation before and after the write and then
/// evict the session's tag, so no read after the write is served from before it, and no read overlapping it is cached (see
/// <see cref="ChatCache"/>). Other hosts' writes are evicted when the change feed delivers them.
/// </para>
/// <para>
/// The (user, workflow) → session id entry is not evicted by writes (the id never changes); when the session it names is
/// gone, the call goes to the store and the entry is replaced.
/// </para>
/// <para>
/// The cache trusts the user id the host passes, as every store does: in front of a user-mode Supabase store that serves
/// several signed-in users, pass only the id taken from the verified token.
/// </para>
/// </remarks>
internal sealed class CachingChatSessionStore(IChatSessionStore innerStore, ChatCache cache) : DelegatingChatSessionStore(innerStore)
{
    internal ChatCache Cache => cache;

    public override async Task<ChatSession> GetOrCreateSessionAsync(string userId, string workflowId, string? title = null, CancellationToken cancellationToken = default)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        var workflow = InputValidator.WorkflowId(workflowId, nameof(workflowId));
        InputValidator.Title(title, nameof(title));
        var key = ChatCache.WorkflowKey(userId, workflow);
        ChatSession? fresh = null;
        long activity = 0;
        var id = await cache.GetOrReadAsync(
            userId,
            null,
            key,
            [ChatCache.AllTag, ChatCache.UserTag(userId)],
            async token =>
            {
                activity = cache.UserActivity(userId);
                fresh = await InnerStore.GetOrCreateSessionAsync(userId, workflowId, title, token).ConfigureAwait(false);
                return fresh.Id;
            },
            null,
            cancellationToken).ConfigureAwait(false);

        if (fresh is not null && fresh.Id == id)
        {
            // Read during this call. Cache it by id as well when no write of the user's sessions (and no eviction) started
            // since it was read: then the current generation of the session is one it was read under.
            return cache.UserActivity(userId) != activity
                ? fresh
                : await cache.GetOrReadAsync(
                    userId,
                    id,
                    ChatCache.SessionKey(userId, id),
                    SessionTags(userId, id),
                    _ => Task.FromResult(fresh),
                    null,
                    cancellationToken,
                    cache.Generation(userId, id)).ConfigureAwait(false);
        }

        var session = await GetSessionAsync(userId, id, cancellationToken).ConfigureAwait(false);
        if (session is not null)
        {
            return session;
        }

        // The session was deleted: create the workflow's new one, and forget the old id.
        await cache.RemoveAsync(key).ConfigureAwait(false);
        return await InnerStore.GetOrCreateSessionAsync(userId, workflowId, title, cancellationToken).ConfigureAwait(false);
    }

    public override Task<ChatSession?> GetSessionAsync(string userId, Guid sessionId, CancellationToken cancellationToken = default)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        InputValidator.NotEmpty(sessionId, nameof(sessionId));
        return cache.GetOrReadAsync(
            userId,
            sessionId,
            ChatCache.SessionKey(userId, sessionId),
            SessionTags(userId, sessionId),
            token => InnerStore.GetSessionAsync(userId, sessionId, token),
            static session => session is not null,
            cancellationToken);
    }

    public override async Task<ChatMessagePage> GetMessagesAsync(string userId, Guid sessionId, ChatHistoryRequest? request = null, CancellationToken cancellationToken = default)
    {
        request ??= ChatHistoryRequest.Latest;
        // Only the newest page of the active path is cached; another path or all branches are read through.
        if (request.Cursor is not null || request.Start != ChatHistoryStart.Newest || request.LeafId is not null || request.AllBranches)
        {
            return await InnerStore.GetMessagesAsync(userId, sessionId, request, cancellationToken).ConfigureAwait(false);
        }

        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        InputValidator.NotEmpty(sessionId, nameof(sessionId));
        InputValidator.PageSize(request.PageSize, ChatPersistenceLimits.MaxPageSize, nameof(request));
        return await cache.GetOrReadAsync(
            userId,
            sessionId,
            ChatCache.PageKey(userId, sessionId, request.PageSize),
            SessionTags(userId, sessionId),
            token => InnerStore.GetMessagesAsync(userId, sessionId, request, token),
            static page => !ContainsStreamingReply(page),
            cancellationToken).ConfigureAwait(false);
    }

    public override Task<StoredChatMessage> BeginReplyAsync(string userId, Guid sessionId, NewChatReply reply, CancellationToken cancellationToken = default) =>
        WriteAsync(userId, sessionId, () => InnerStore.BeginReplyAsync(userId, sessionId, reply, cancellationToken));

    // A grow changes only a streaming reply, and pages holding one are never cached: nothing to evict.
    public override Task<StoredChatMessage> FinishReplyAsync(string userId, Guid messageId, ChatReplyFinish finish, CancellationToken cancellationToken = default) =>
        MessageWriteAsync(userId, () => InnerStore.FinishReplyAsync(userId, messageId, finish, cancellationToken));

    public override Task<StoredChatMessage> StopReplyAsync(string userId, Guid messageId, CancellationToken cancellationToken = default) =>
        MessageWriteAsync(userId, () => InnerStore.StopReplyAsync(userId, messageId, cancellationToken));

    // A switch changes what the session's pages (and the session's active leaf) read.
    public override Task<ChatActivePath> SwitchBranchAsync(string userId, Guid sessionId, Guid messageId, CancellationToken cancellationToken = default) =>
        WriteAsync(userId, sessionId, () => InnerStore.SwitchBranchAsync(userId, sessionId, messageId, cancellationToken));

    public override Task<ChatSession> RenameSessionAsync(string userId, Guid sessionId, string? title, CancellationToken cancellationToken = default) =>
        WriteAsync(userId, sessionId, () => InnerStore.RenameSessionAsync(userId, sessionId, title, cancellationToken));

    public override Task<IReadOnlyList<StoredChatMessage>> AppendMessagesAsync(string userId, Guid sessionId, IReadOnlyList<NewChatMessage> messages, CancellationToken cancellationToken = default) =>
        WriteAsync(userId, sessionId, () => InnerStore.AppendMessagesAsync(userId, sessionId, messages, cancellationToken));

    public override Task<long> ClearSessionAsync(string userId, Guid sessionId, CancellationToken cancellationToken = default) =>
        WriteAsync(userId, sessionId, () => InnerStore.ClearSessionAsync(userId, sessionId, cancellationToken));

    public override Task<bool> DeleteSessionAsync(string userId, Guid sessionId, CancellationToken cancellationToken = default) =>
        WriteAsync(userId, sessionId, () => InnerStore.DeleteSessionAsync(userId, sessionId, cancellationToken));

    public override Task<StoredChatMessage> SetFavoriteAsync(string userId, Guid messageId, bool isFavorite, CancellationToken cancellationToken = default) =>
        MessageWriteAsync(userId, () => InnerStore.SetFavoriteAsync(userId, messageId, isFavorite, cancellationToken));

    public override async Task<int> DeleteIdleSessionsAsync(DateTimeOffset idleBefore, int maxSessions = 1000, CancellationToken cancellationToken = default)
    {
        cache.BumpAll();
        try
        {
            return await InnerStore.DeleteIdleSessionsAsync(idleBefore, maxSessions, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await cache.EvictAllAsync().ConfigureAwait(false);
        }
    }

    // A page holding a reply in progress changes with every flush (and when its lease expires, with no write at all).
    private static bool ContainsStreamingReply(ChatMessagePage page)
    {
        foreach (var message in page.Messages)
        {
            if (message.Status == ChatReplyStatus.Streaming)
            {
                return true;
            }
        }

        return false;
    }

    // A write to one message, whose session is known only from the result: the user's generation covers the write.
    private async Task<StoredChatMessage> MessageWriteAsync(string userId, Func<Task<StoredChatMessage>> write)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        cache.BumpUser(userId);
        StoredChatMessage? message = null;
        try
        {
            message = await write().ConfigureAwait(false);
            return message;
        }
        finally
        {
            cache.BumpUser(userId);
            await (message is not null ? cache.EvictSessionAsync(userId, message.SessionId) : cache.EvictUserAsync(userId)).ConfigureAwait(false);
        }
    }

    private static string[] SessionTags(string userId, Guid sessionId) => [ChatCache.AllTag, ChatCache.UserTag(userId), ChatCache.SessionTag(sessionId)];

    private async Task<T> WriteAsync<T>(string userId, Guid sessionId, Func<Task<T>> write)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        cache.BumpSession(userId, sessionId);
        try
        {
            return await write().ConfigureAwait(false);
        }
        finally
        {
            // Evicted whatever the outcome: a failed call may still have committed.
            await cache.EvictSessionAsync(userId, sessionId).ConfigureAwait(false);
        }
    }
}
