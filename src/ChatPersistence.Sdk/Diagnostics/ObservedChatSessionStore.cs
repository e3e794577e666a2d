namespace ChatPersistence.Sdk.Internal;

/// <summary>A decorator that runs every operation through one hook (telemetry, logging), naming each operation once.</summary>
internal abstract class ObservedChatSessionStore(IChatSessionStore innerStore) : DelegatingChatSessionStore(innerStore)
{
    public override Task<ChatSession> GetOrCreateSessionAsync(string userId, string workflowId, string? title = null, CancellationToken cancellationToken = default) =>
        ObserveAsync(new("get_or_create_session", "chat_sessions"), () => InnerStore.GetOrCreateSessionAsync(userId, workflowId, title, cancellationToken));

    public override Task<ChatSession?> GetSessionAsync(string userId, Guid sessionId, CancellationToken cancellationToken = default) =>
        ObserveAsync(new("get_session", "chat_sessions", sessionId), () => InnerStore.GetSessionAsync(userId, sessionId, cancellationToken));

    public override Task<ChatPage<ChatSession>> ListSessionsAsync(string userId, ChatListRequest? request = null, CancellationToken cancellationToken = default) =>
        ObserveAsync(new("list_sessions", "chat_sessions"), () => InnerStore.ListSessionsAsync(userId, request, cancellationToken));

    public override Task<ChatSession> RenameSessionAsync(string userId, Guid sessionId, string? title, CancellationToken cancellationToken = default) =>
        ObserveAsync(new("rename_session", "chat_sessions", sessionId), () => InnerStore.RenameSessionAsync(userId, sessionId, title, cancellationToken));

    public override Task<IReadOnlyList<StoredChatMessage>> AppendMessagesAsync(string userId, Guid sessionId, IReadOnlyList<NewChatMessage> messages, CancellationToken cancellationToken = default) =>
        ObserveAsync(new("append_messages", "chat_messages", sessionId, messages?.Count), () => InnerStore.AppendMessagesAsync(userId, sessionId, messages!, cancellationToken));

    public override Task<ChatMessagePage> GetMessagesAsync(string userId, Guid sessionId, ChatHistoryRequest? request = null, CancellationToken cancellationToken = default) =>
        ObserveAsync(new("read_messages", "chat_messages", sessionId), () => InnerStore.GetMessagesAsync(userId, sessionId, request, cancellationToken));

    public override Task<long> ClearSessionAsync(string userId, Guid sessionId, CancellationToken cancellationToken = default) =>
        ObserveAsync(new("clear_session", "chat_messages", sessionId), () => InnerStore.ClearSessionAsync(userId, sessionId, cancellationToken));

    public override Task<bool> DeleteSessionAsync(string userId, Guid sessionId, CancellationToken cancellationToken = default) =>
        ObserveAsync(new("delete_session", "chat_sessions", sessionId), () => InnerStore.DeleteSessionAsync(userId, sessionId, cancellationToken));

    public override Task<ChatPage<ChatSearchHit>> SearchAsync(string userId, ChatSearchRequest request, CancellationToken cancellationToken = default) =>
        ObserveAsync(new("search", "chat_messages", request?.SessionId), () => InnerStore.SearchAsync(userId, request!, cancellationToken));

    public override Task<StoredChatMessage> SetFavoriteAsync(string userId, Guid messageId, bool isFavorite, CancellationToken cancellationToken = default) =>
        ObserveAsync(new("set_favorite", "chat_messages"), () => InnerStore.SetFavoriteAsync(userId, messageId, isFavorite, cancellationToken));

    public override Task<ChatPage<StoredChatMessage>> ListFavoritesAsync(string userId, ChatFavoritesRequest? request = null, CancellationToken cancellationToken = default) =>
        ObserveAsync(new("list_favorites", "chat_messages", request?.SessionId), () => InnerStore.ListFavoritesAsync(userId, request, cancellationToken));

    public override Task<int> DeleteIdleSessionsAsync(DateTimeOffset idleBefore, int maxSessions = 1000, CancellationToken cancellationToken = default) =>
        ObserveAsync(new("delete_idle_sessions", "chat_sessions"), () => InnerStore.DeleteIdleSessionsAsync(idleBefore, maxSessions, cancellationToken));

    public override Task<ChatSiblings> GetSiblingsAsync(string userId, Guid messageId, CancellationToken cancellationToken = default) =>
        ObserveAsync(new("get_siblings", "chat_messages"), () => InnerStore.GetSiblingsAsync(userId, messageId, cancellationToken));

    public override Task<ChatActivePath> SwitchBranchAsync(string userId, Guid sessionId, Guid messageId, CancellationToken cancellationToken = default) =>
        ObserveAsync(new("switch_branch", "chat_sessions", sessionId), () => InnerStore.SwitchBranchAsync(userId, sessionId, messageId, cancellationToken));

    protected abstract Task<T> ObserveAsync<T>(StoreOperation operation, Func<Task<T>> call);
}
