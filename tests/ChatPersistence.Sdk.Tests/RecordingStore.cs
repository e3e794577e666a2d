namespace ChatPersistence.Sdk.Tests;

/// <summary>A pass-through decorator that records the order in which decorators run.</summary>
internal sealed class RecordingStore(IChatSessionStore inner, string name, List<string> calls) : IChatSessionStore
{
    public Task<ChatSession> GetOrCreateSessionAsync(string userId, string workflowId, string? title = null, CancellationToken cancellationToken = default) => inner.GetOrCreateSessionAsync(userId, workflowId, title, cancellationToken);

    public Task<ChatSession?> GetSessionAsync(string userId, Guid sessionId, CancellationToken cancellationToken = default) => inner.GetSessionAsync(userId, sessionId, cancellationToken);

    public Task<ChatPage<ChatSession>> ListSessionsAsync(string userId, ChatListRequest? request = null, CancellationToken cancellationToken = default) => inner.ListSessionsAsync(userId, request, cancellationToken);

    public Task<ChatSession> RenameSessionAsync(string userId, Guid sessionId, string? title, CancellationToken cancellationToken = default) => inner.RenameSessionAsync(userId, sessionId, title, cancellationToken);

    public Task<IReadOnlyList<StoredChatMessage>> AppendMessagesAsync(string userId, Guid sessionId, IReadOnlyList<NewChatMessage> messages, CancellationToken cancellationToken = default) => inner.AppendMessagesAsync(userId, sessionId, messages, cancellationToken);

    public Task<ChatMessagePage> GetMessagesAsync(string userId, Guid sessionId, ChatHistoryRequest? request = null, CancellationToken cancellationToken = default) => inner.GetMessagesAsync(userId, sessionId, request, cancellationToken);

    public Task<long> ClearSessionAsync(string userId, Guid sessionId, CancellationToken cancellationToken = default) => inner.ClearSessionAsync(userId, sessionId, cancellationToken);

    public Task<bool> DeleteSessionAsync(string userId, Guid sessionId, CancellationToken cancellationToken = default)
    {
        calls.Add(name);
        return inner.DeleteSessionAsync(userId, sessionId, cancellationToken);
    }

    public Task<ChatPage<ChatSearchHit>> SearchAsync(string userId, ChatSearchRequest request, CancellationToken cancellationToken = default) => inner.SearchAsync(userId, request, cancellationToken);

    public Task<StoredChatMessage> SetFavoriteAsync(string userId, Guid messageId, bool isFavorite, CancellationToken cancellationToken = default) => inner.SetFavoriteAsync(userId, messageId, isFavorite, cancellationToken);

    public Task<ChatPage<StoredChatMessage>> ListFavoritesAsync(string userId, ChatFavoritesRequest? request = null, CancellationToken cancellationToken = default) => inner.ListFavoritesAsync(userId, request, cancellationToken);

    public Task<int> DeleteIdleSessionsAsync(DateTimeOffset idleBefore, int maxSessions = 1000, CancellationToken cancellationToken = default) => inner.DeleteIdleSessionsAsync(idleBefore, maxSessions, cancellationToken);
}
