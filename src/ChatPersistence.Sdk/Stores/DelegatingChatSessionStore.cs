namespace ChatPersistence.Sdk;

/// <summary>
/// A store that passes every call to an inner store: the base for decorators (caching, telemetry, logging, your own), in
/// the style of <c>Microsoft.Extensions.AI</c>'s <c>DelegatingChatClient</c>. Override the operations to change; the inner
/// store still validates input and enforces the contract.
/// </summary>
public abstract class DelegatingChatSessionStore : IChatSessionStore
{
    /// <summary>Wraps <paramref name="innerStore"/>.</summary>
    /// <param name="innerStore">The store calls are passed to.</param>
    /// <exception cref="ArgumentNullException"><paramref name="innerStore"/> is <see langword="null"/>.</exception>
    protected DelegatingChatSessionStore(IChatSessionStore innerStore)
    {
        ArgumentNullException.ThrowIfNull(innerStore);
        InnerStore = innerStore;
    }

    /// <summary>The store calls are passed to.</summary>
    public IChatSessionStore InnerStore { get; }

    /// <inheritdoc />
    public virtual Task<ChatSession> GetOrCreateSessionAsync(string userId, string workflowId, string? title = null, CancellationToken cancellationToken = default) =>
        InnerStore.GetOrCreateSessionAsync(userId, workflowId, title, cancellationToken);

    /// <inheritdoc />
    public virtual Task<ChatSession?> GetSessionAsync(string userId, Guid sessionId, CancellationToken cancellationToken = default) =>
        InnerStore.GetSessionAsync(userId, sessionId, cancellationToken);

    /// <inheritdoc />
    public virtual Task<ChatPage<ChatSession>> ListSessionsAsync(string userId, ChatListRequest? request = null, CancellationToken cancellationToken = default) =>
        InnerStore.ListSessionsAsync(userId, request, cancellationToken);

    /// <inheritdoc />
    public virtual Task<ChatSession> RenameSessionAsync(string userId, Guid sessionId, string? title, CancellationToken cancellationToken = default) =>
        InnerStore.RenameSessionAsync(userId, sessionId, title, cancellationToken);

    /// <inheritdoc />
    public virtual Task<IReadOnlyList<StoredChatMessage>> AppendMessagesAsync(string userId, Guid sessionId, IReadOnlyList<NewChatMessage> messages, CancellationToken cancellationToken = default) =>
        InnerStore.AppendMessagesAsync(userId, sessionId, messages, cancellationToken);

    /// <inheritdoc />
    public virtual Task<ChatMessagePage> GetMessagesAsync(string userId, Guid sessionId, ChatHistoryRequest? request = null, CancellationToken cancellationToken = default) =>
        InnerStore.GetMessagesAsync(userId, sessionId, request, cancellationToken);

    /// <inheritdoc />
    public virtual Task<long> ClearSessionAsync(string userId, Guid sessionId, CancellationToken cancellationToken = default) =>
        InnerStore.ClearSessionAsync(userId, sessionId, cancellationToken);

    /// <inheritdoc />
    public virtual Task<bool> DeleteSessionAsync(string userId, Guid sessionId, CancellationToken cancellationToken = default) =>
        InnerStore.DeleteSessionAsync(userId, sessionId, cancellationToken);

    /// <inheritdoc />
    public virtual Task<ChatPage<ChatSearchHit>> SearchAsync(string userId, ChatSearchRequest request, CancellationToken cancellationToken = default) =>
        InnerStore.SearchAsync(userId, request, cancellationToken);

    /// <inheritdoc />
    public virtual Task<StoredChatMessage> SetFavoriteAsync(string userId, Guid messageId, bool isFavorite, CancellationToken cancellationToken = default) =>
        InnerStore.SetFavoriteAsync(userId, messageId, isFavorite, cancellationToken);

    /// <inheritdoc />
    public virtual Task<ChatPage<StoredChatMessage>> ListFavoritesAsync(string userId, ChatFavoritesRequest? request = null, CancellationToken cancellationToken = default) =>
        InnerStore.ListFavoritesAsync(userId, request, cancellationToken);

    /// <inheritdoc />
    public virtual Task<int> DeleteIdleSessionsAsync(DateTimeOffset idleBefore, int maxSessions = 1000, CancellationToken cancellationToken = default) =>
        InnerStore.DeleteIdleSessionsAsync(idleBefore, maxSessions, cancellationToken);

    /// <inheritdoc />
    public virtual ChatStoreCapabilities Capabilities => InnerStore.Capabilities;

    /// <inheritdoc />
    public virtual Task<StoredChatMessage> BeginReplyAsync(string userId, Guid sessionId, NewChatReply reply, CancellationToken cancellationToken = default) =>
        InnerStore.BeginReplyAsync(userId, sessionId, reply, cancellationToken);

    /// <inheritdoc />
    public virtual Task<ChatReplyProgress> GrowReplyAsync(string userId, Guid messageId, long offset, string text, CancellationToken cancellationToken = default) =>
        InnerStore.GrowReplyAsync(userId, messageId, offset, text, cancellationToken);

    /// <inheritdoc />
    public virtual Task<StoredChatMessage> FinishReplyAsync(string userId, Guid messageId, ChatReplyFinish finish, CancellationToken cancellationToken = default) =>
        InnerStore.FinishReplyAsync(userId, messageId, finish, cancellationToken);

    /// <inheritdoc />
    public virtual Task<StoredChatMessage> StopReplyAsync(string userId, Guid messageId, CancellationToken cancellationToken = default) =>
        InnerStore.StopReplyAsync(userId, messageId, cancellationToken);

    /// <inheritdoc />
    public virtual Task<ChatReplyText> ReadReplyAsync(string userId, Guid messageId, long offset = 0, CancellationToken cancellationToken = default) =>
        InnerStore.ReadReplyAsync(userId, messageId, offset, cancellationToken);

    /// <inheritdoc />
    public virtual Task<ChatSiblings> GetSiblingsAsync(string userId, Guid messageId, CancellationToken cancellationToken = default) =>
        InnerStore.GetSiblingsAsync(userId, messageId, cancellationToken);

    /// <inheritdoc />
    public virtual Task<ChatActivePath> SwitchBranchAsync(string userId, Guid sessionId, Guid messageId, CancellationToken cancellationToken = default) =>
        InnerStore.SwitchBranchAsync(userId, sessionId, messageId, cancellationToken);
}
