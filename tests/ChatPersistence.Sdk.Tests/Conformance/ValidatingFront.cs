namespace ChatPersistence.Sdk.Tests.Conformance;

/// <summary>A store that validates with its own options and forwards every core call to another store's public API.</summary>
internal sealed class ValidatingFront(ChatPersistenceOptions options, IChatSessionStore inner) : ChatSessionStore(options)
{
    protected override Task<ChatSession> GetOrCreateSessionCoreAsync(string userId, string workflowId, string? title, CancellationToken cancellationToken) =>
        inner.GetOrCreateSessionAsync(userId, workflowId, title, cancellationToken);

    protected override Task<ChatSession?> GetSessionCoreAsync(string userId, Guid sessionId, CancellationToken cancellationToken) =>
        inner.GetSessionAsync(userId, sessionId, cancellationToken);

    protected override Task<IReadOnlyList<ChatSession>> ListSessionsCoreAsync(string userId, DateTimeOffset? afterUpdatedAt, Guid? afterId, int limit, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    protected override Task<ChatSession> RenameSessionCoreAsync(string userId, Guid sessionId, string? title, CancellationToken cancellationToken) =>
        inner.RenameSessionAsync(userId, sessionId, title, cancellationToken);

    protected override Task<IReadOnlyList<StoredChatMessage>> AppendMessagesCoreAsync(string userId, Guid sessionId, IReadOnlyList<NewChatMessage> messages, CancellationToken cancellationToken) =>
        inner.AppendMessagesAsync(userId, sessionId, messages, cancellationToken);

    protected override Task<ChatHistorySlice> ReadHistoryCoreAsync(string userId, Guid sessionId, long? boundary, bool older, int limit, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    protected override Task<long> ClearSessionCoreAsync(string userId, Guid sessionId, CancellationToken cancellationToken) =>
        inner.ClearSessionAsync(userId, sessionId, cancellationToken);

    protected override Task<bool> DeleteSessionCoreAsync(string userId, Guid sessionId, CancellationToken cancellationToken) =>
        inner.DeleteSessionAsync(userId, sessionId, cancellationToken);

    protected override Task<IReadOnlyList<ChatSearchHit>> SearchCoreAsync(string userId, string query, Guid? sessionId, int offset, int limit, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    protected override Task<StoredChatMessage> SetFavoriteCoreAsync(string userId, Guid messageId, bool isFavorite, CancellationToken cancellationToken) =>
        inner.SetFavoriteAsync(userId, messageId, isFavorite, cancellationToken);

    protected override Task<IReadOnlyList<StoredChatMessage>> ListFavoritesCoreAsync(string userId, Guid? sessionId, long? beforeSequence, int limit, CancellationToken cancellationToken) =>
        throw new NotSupportedException();

    protected override Task<int> DeleteIdleSessionsCoreAsync(DateTimeOffset idleBefore, int maxSessions, CancellationToken cancellationToken) =>
        inner.DeleteIdleSessionsAsync(idleBefore, maxSessions, cancellationToken);
}
