namespace ChatPersistence.Sdk;

/// <summary>
/// Persistent, per-workflow chat history: one session per (user, workflow), messages appended idempotently and read
/// back in keyset-paged windows, searched, favourited, cleared and expired.
/// </summary>
/// <remarks>
/// <para>
/// Every operation is made for an explicit user id and only ever sees that user's data: a session or message of another
/// user behaves exactly as if it did not exist (<see cref="ChatNotFoundException"/>). Stores that act for one signed-in
/// user (Supabase user mode) additionally reject any other user id with <see cref="ChatAccessDeniedException"/>.
/// </para>
/// <para>
/// Input is validated before anything is sent or written (see <see cref="ChatPersistenceLimits"/>): caller mistakes
/// throw <see cref="ArgumentException"/>, <see cref="ArgumentNullException"/> or <see cref="ArgumentOutOfRangeException"/>
/// and leave the store unchanged. Store failures throw <see cref="ChatPersistenceException"/> or a subclass; check
/// <see cref="ChatPersistenceException.IsTransient"/> before retrying.
/// </para>
/// <para>Implementations are thread-safe: one instance serves concurrent callers for many users.</para>
/// <para>Implementers should derive from <see cref="ChatSessionStore"/>, which applies the shared validation and cursor rules.</para>
/// </remarks>
public interface IChatSessionStore
{
    /// <summary>
    /// Returns the session of <paramref name="userId"/> for <paramref name="workflowId"/>, creating it when it does not
    /// exist yet, in one atomic step: concurrent callers for the same pair all get the same session.
    /// </summary>
    /// <param name="userId">The owner (at most <see cref="ChatPersistenceLimits.MaxUserIdLength"/> characters).</param>
    /// <param name="workflowId">The host's workflow id (at most <see cref="ChatPersistenceLimits.MaxWorkflowIdLength"/> characters, no control
    /// or bidirectional control characters). It is stored in Unicode normalization form C, so canonically equivalent spellings
    /// (a precomposed "é" and "e" with a combining accent) name the same workflow in every store.</param>
    /// <param name="title">The title given to the session when it is created; ignored when it already exists.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The session.</returns>
    /// <exception cref="ArgumentException">An id is empty, too long or contains control characters, or the title is invalid.</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    Task<ChatSession> GetOrCreateSessionAsync(string userId, string workflowId, string? title = null, CancellationToken cancellationToken = default);

    /// <summary>Returns a session of the user by id, or <see langword="null"/> when it does not exist or is not the user's.</summary>
    /// <param name="userId">The owner.</param>
    /// <param name="sessionId">The session id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The session, or <see langword="null"/>.</returns>
    /// <exception cref="ArgumentException">An argument is invalid.</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    Task<ChatSession?> GetSessionAsync(string userId, Guid sessionId, CancellationToken cancellationToken = default);

    /// <summary>Lists the user's sessions across workflows, most recently active (<see cref="ChatSession.UpdatedAt"/>) first.</summary>
    /// <param name="userId">The owner.</param>
    /// <param name="request">The page to read; <see langword="null"/> reads the first page.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A page of sessions.</returns>
    /// <exception cref="ArgumentException">An argument is invalid, or the cursor is malformed, tampered with or from another listing.</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    Task<ChatPage<ChatSession>> ListSessionsAsync(string userId, ChatListRequest? request = null, CancellationToken cancellationToken = default);

    /// <summary>Sets or removes the title of a session and bumps its <see cref="ChatSession.UpdatedAt"/>.</summary>
    /// <param name="userId">The owner.</param>
    /// <param name="sessionId">The session id.</param>
    /// <param name="title">The new title (at most <see cref="ChatPersistenceLimits.MaxTitleLength"/> characters), or <see langword="null"/> to remove it.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The updated session.</returns>
    /// <exception cref="ArgumentException">An argument is invalid.</exception>
    /// <exception cref="ChatNotFoundException">The session does not exist or is not the user's.</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    Task<ChatSession> RenameSessionAsync(string userId, Guid sessionId, string? title, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends messages to a session in one atomic step and bumps the session's <see cref="ChatSession.UpdatedAt"/>.
    /// Idempotent by <see cref="NewChatMessage.Id"/>: a message already stored with the same role, content and metadata in
    /// the same session is not stored again and its stored form is returned.
    /// </summary>
    /// <param name="userId">The owner.</param>
    /// <param name="sessionId">The session id.</param>
    /// <param name="messages">1 to <see cref="ChatPersistenceLimits.MaxBatchSize"/> messages with distinct ids, stored in this order.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The stored messages, in the order given, with their sequence numbers and timestamps.</returns>
    /// <exception cref="ArgumentException">A message is invalid (see <see cref="ChatPersistenceLimits"/>); nothing was written.</exception>
    /// <exception cref="ChatNotFoundException">The session does not exist or is not the user's; nothing was written.</exception>
    /// <exception cref="ChatConflictException">A message id is stored with different content or in another session; nothing was written.</exception>
    /// <exception cref="ChatPersistenceException">The store failed; when <see cref="ChatPersistenceException.IsTransient"/>, retry with the same messages.</exception>
    Task<IReadOnlyList<StoredChatMessage>> AppendMessagesAsync(string userId, Guid sessionId, IReadOnlyList<NewChatMessage> messages, CancellationToken cancellationToken = default);

    /// <summary>Reads one keyset-paged window of a session's history.</summary>
    /// <param name="userId">The owner.</param>
    /// <param name="sessionId">The session id.</param>
    /// <param name="request">Which page; <see langword="null"/> reads the newest <see cref="ChatHistoryRequest.DefaultPageSize"/> messages.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The page, in chronological order.</returns>
    /// <exception cref="ArgumentException">The page size is out of range, or the cursor is malformed, tampered with or from another session.</exception>
    /// <exception cref="ChatNotFoundException">The session does not exist or is not the user's.</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    Task<ChatMessagePage> GetMessagesAsync(string userId, Guid sessionId, ChatHistoryRequest? request = null, CancellationToken cancellationToken = default);

    /// <summary>Deletes every message of a session and keeps the session (bumping its <see cref="ChatSession.UpdatedAt"/>).</summary>
    /// <param name="userId">The owner.</param>
    /// <param name="sessionId">The session id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>How many messages were deleted.</returns>
    /// <exception cref="ArgumentException">An argument is invalid.</exception>
    /// <exception cref="ChatNotFoundException">The session does not exist or is not the user's.</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    Task<long> ClearSessionAsync(string userId, Guid sessionId, CancellationToken cancellationToken = default);

    /// <summary>Deletes a session and all of its messages.</summary>
    /// <param name="userId">The owner.</param>
    /// <param name="sessionId">The session id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns><see langword="true"/> when it was deleted; <see langword="false"/> when it did not exist or is not the user's (so retries are safe).</returns>
    /// <exception cref="ArgumentException">An argument is invalid.</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    Task<bool> DeleteSessionAsync(string userId, Guid sessionId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Full-text search in the user's history, in one session or across all of the user's sessions, best match first
    /// (ties: newest first). Words match whole stored words, case- and accent-insensitively, with no stemming; a word ending
    /// in <c>*</c> matches as a prefix. Any input is safe: operators, quotes and punctuation are treated as text.
    /// </summary>
    /// <param name="userId">The owner.</param>
    /// <param name="request">The query and page.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A page of hits.</returns>
    /// <exception cref="ArgumentException">The query has no letter or digit, is too long or contains U+0000, the page size is out of range, or the cursor is invalid.</exception>
    /// <exception cref="ChatNotFoundException"><see cref="ChatSearchRequest.SessionId"/> names a session that does not exist or is not the user's.</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    Task<ChatPage<ChatSearchHit>> SearchAsync(string userId, ChatSearchRequest request, CancellationToken cancellationToken = default);

    /// <summary>Marks or unmarks a message as a favourite (idempotent).</summary>
    /// <param name="userId">The owner.</param>
    /// <param name="messageId">The message id.</param>
    /// <param name="isFavorite">The new state.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The updated message.</returns>
    /// <exception cref="ArgumentException">An argument is invalid.</exception>
    /// <exception cref="ChatNotFoundException">The message does not exist or is not the user's.</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    Task<StoredChatMessage> SetFavoriteAsync(string userId, Guid messageId, bool isFavorite, CancellationToken cancellationToken = default);

    /// <summary>Lists the user's favourite messages, newest first, in one session or across all of the user's sessions.</summary>
    /// <param name="userId">The owner.</param>
    /// <param name="request">Which favourites and page; <see langword="null"/> reads the first page across sessions.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A page of messages.</returns>
    /// <exception cref="ArgumentException">An argument is invalid, or the cursor is malformed, tampered with or from another listing.</exception>
    /// <exception cref="ChatNotFoundException"><see cref="ChatFavoritesRequest.SessionId"/> names a session that does not exist or is not the user's.</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    Task<ChatPage<StoredChatMessage>> ListFavoritesAsync(string userId, ChatFavoritesRequest? request = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Retention: deletes up to <paramref name="maxSessions"/> sessions (of all users) whose <see cref="ChatSession.UpdatedAt"/>
    /// is before <paramref name="idleBefore"/>, oldest first, with their messages. Reserved to trusted callers: stores acting
    /// for a signed-in user throw <see cref="ChatAccessDeniedException"/>.
    /// </summary>
    /// <param name="idleBefore">The cutoff: sessions last active strictly before it are deleted.</param>
    /// <param name="maxSessions">The batch size, 1 to <see cref="ChatPersistenceLimits.MaxRetentionBatchSize"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>How many sessions were deleted; fewer than <paramref name="maxSessions"/> means none is left.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxSessions"/> is out of range.</exception>
    /// <exception cref="ChatAccessDeniedException">The store acts for a user and may not run retention.</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    Task<int> DeleteIdleSessionsAsync(DateTimeOffset idleBefore, int maxSessions = 1000, CancellationToken cancellationToken = default);

    /// <summary>What optional parts of the contract the store implements. Default: <see cref="ChatStoreCapabilities.None"/>.</summary>
    ChatStoreCapabilities Capabilities => ChatStoreCapabilities.None;

    /// <summary>
    /// Begins storing an assistant reply before its text exists: it gets its id and its place in the history now (after the
    /// session's newest message), status <see cref="ChatReplyStatus.Streaming"/> and empty content, in one round trip.
    /// Idempotent by id: a retried begin returns the stored reply as it is now.
    /// </summary>
    /// <param name="userId">The owner.</param>
    /// <param name="sessionId">The session.</param>
    /// <param name="reply">The reply's id, initial metadata and lease.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The stored reply.</returns>
    /// <exception cref="ArgumentException">An argument is invalid (empty id, metadata not an object, lease out of range).</exception>
    /// <exception cref="ChatNotFoundException">The session does not exist or is not the user's.</exception>
    /// <exception cref="ChatConflictException">The id is stored as another message.</exception>
    /// <exception cref="NotSupportedException">The store does not keep replies in progress (<see cref="ChatStoreCapabilities.Replies"/>).</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    Task<StoredChatMessage> BeginReplyAsync(string userId, Guid sessionId, NewChatReply reply, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("This chat store does not keep replies in progress.");

    /// <summary>
    /// Stores <paramref name="text"/> at <paramref name="offset"/> (UTF-16 code units of the reply as written) and renews the
    /// lease. Accepted when the offset is the stored length (append) or when exactly that text is already stored there (a
    /// retried flush: nothing written). Empty text is a heartbeat: it renews the lease and stores nothing.
    /// </summary>
    /// <param name="userId">The owner.</param>
    /// <param name="messageId">The reply.</param>
    /// <param name="offset">Where the text goes.</param>
    /// <param name="text">Well-formed UTF-16 text (a surrogate pair is never split across two calls).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The stored length and lease, and whether a stop was requested.</returns>
    /// <exception cref="ArgumentException">The offset is negative, or the text is null, not well-formed or alone over the size limit.</exception>
    /// <exception cref="ChatNotFoundException">The reply does not exist or is not the user's (also after the session was cleared or deleted).</exception>
    /// <exception cref="ChatReplyEndedException">The reply has ended (or the text would take it over the size limit: it is now interrupted as too large).</exception>
    /// <exception cref="ChatConflictException">The offset leaves a gap, overlaps, or other text is stored there.</exception>
    /// <exception cref="NotSupportedException">The store does not keep replies in progress.</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    Task<ChatReplyProgress> GrowReplyAsync(string userId, Guid messageId, long offset, string text, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("This chat store does not keep replies in progress.");

    /// <summary>
    /// Ends a reply: stores the last text (same offset rule as <see cref="GrowReplyAsync"/>), the final status, reason and
    /// metadata, in one round trip. The first end wins: finishing an ended reply writes nothing and returns it as stored.
    /// </summary>
    /// <param name="userId">The owner.</param>
    /// <param name="messageId">The reply.</param>
    /// <param name="finish">The final status and last text.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The stored reply (compare its <see cref="StoredChatMessage.Status"/>: an earlier end wins).</returns>
    /// <exception cref="ArgumentException">The finish is invalid (status streaming, reason inconsistent with the status, detail too long).</exception>
    /// <exception cref="ChatNotFoundException">The reply does not exist or is not the user's.</exception>
    /// <exception cref="ChatConflictException">The last text's offset does not fit.</exception>
    /// <exception cref="NotSupportedException">The store does not keep replies in progress.</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    Task<StoredChatMessage> FinishReplyAsync(string userId, Guid messageId, ChatReplyFinish finish, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("This chat store does not keep replies in progress.");

    /// <summary>
    /// Asks the reply's writer to stop, from any instance or device: the writer learns it from its next flush and ends the
    /// reply as <see cref="ChatReplyStatus.Stopped"/>; if it is gone, the reply reads as stopped after
    /// <see cref="ChatPersistenceLimits.StopGrace"/>. Stopping an ended reply returns it unchanged.
    /// </summary>
    /// <param name="userId">The owner.</param>
    /// <param name="messageId">The reply.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The stored reply.</returns>
    /// <exception cref="ArgumentException">The id is empty.</exception>
    /// <exception cref="ChatNotFoundException">The reply does not exist or is not the user's.</exception>
    /// <exception cref="NotSupportedException">The store does not keep replies in progress.</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    Task<StoredChatMessage> StopReplyAsync(string userId, Guid messageId, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("This chat store does not keep replies in progress.");

    /// <summary>
    /// Reads a reply's text after <paramref name="offset"/> with its length and status, for a reader that already shows the
    /// beginning (another tab, a refreshed page). Works for any status and for any message of the user.
    /// </summary>
    /// <param name="userId">The owner.</param>
    /// <param name="messageId">The reply.</param>
    /// <param name="offset">How much the reader has, in UTF-16 code units; beyond the end returns empty text and the real length.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The text from the offset to the stored end.</returns>
    /// <exception cref="ArgumentOutOfRangeException">The offset is negative.</exception>
    /// <exception cref="ChatNotFoundException">The message does not exist or is not the user's.</exception>
    /// <exception cref="NotSupportedException">The store does not keep replies in progress.</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    Task<ChatReplyText> ReadReplyAsync(string userId, Guid messageId, long offset = 0, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("This chat store does not keep replies in progress.");

    /// <summary>
    /// Returns the versions of a message: the children of its parent (or the session's roots), oldest first, its index among
    /// them and the index of the version on the active path, for a "‹ 2 / 3 ›" control.
    /// </summary>
    /// <param name="userId">The owner.</param>
    /// <param name="messageId">Any message of the user, on any branch.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The versions.</returns>
    /// <exception cref="ArgumentException">An argument is invalid.</exception>
    /// <exception cref="ChatNotFoundException">The message does not exist or is not the user's.</exception>
    /// <exception cref="NotSupportedException">The store does not keep branches (<see cref="ChatStoreCapabilities.Branches"/>).</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    Task<ChatSiblings> GetSiblingsAsync(string userId, Guid messageId, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("This chat store does not keep branches.");

    /// <summary>
    /// Makes the active path go through <paramref name="messageId"/> and down to the leaf that was last active beneath it
    /// (for a message never active beneath, the newest leaf of its own line). Switching to a message already on the active
    /// path writes nothing and returns <see cref="ChatActivePath.Changed"/> = <see langword="false"/>; otherwise watchers get
    /// <see cref="ChangeFeed.ChatChangeKind.ActivePathChanged"/>.
    /// </summary>
    /// <param name="userId">The owner.</param>
    /// <param name="sessionId">The session.</param>
    /// <param name="messageId">Any message of the session, on any branch.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The new active path's leaf and where it forks from the previous one.</returns>
    /// <exception cref="ArgumentException">An argument is invalid.</exception>
    /// <exception cref="ChatNotFoundException">The session or the message does not exist, is not the user's, or the message is in another session.</exception>
    /// <exception cref="NotSupportedException">The store does not keep branches (<see cref="ChatStoreCapabilities.Branches"/>).</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    Task<ChatActivePath> SwitchBranchAsync(string userId, Guid sessionId, Guid messageId, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("This chat store does not keep branches.");
}
