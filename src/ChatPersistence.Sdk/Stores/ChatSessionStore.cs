using System.Buffers.Binary;
using ChatPersistence.Sdk.Internal;

namespace ChatPersistence.Sdk;

/// <summary>
/// The base class of every store: it validates input with the shared rules of <see cref="ChatPersistenceLimits"/>, decodes
/// and checks cursors, builds pages, and passes only valid, decoded requests to the store's <c>…CoreAsync</c> methods.
/// Deriving from it is what makes every store behave the same for the same input.
/// </summary>
/// <remarks>
/// The core methods are called with validated arguments, after <see cref="CancellationToken.ThrowIfCancellationRequested"/>.
/// They must be thread-safe, must scope every read and write to the given user, and must throw
/// <see cref="ChatNotFoundException"/> for sessions and messages that do not exist or are not the user's.
/// </remarks>
public abstract class ChatSessionStore : IChatSessionStore
{
    private const int HistoryPayloadLength = 9;
    private const int SessionsPayloadLength = 24;
    private const int FavoritesPayloadLength = 8;
    private const int SearchPayloadLength = 4;

    /// <summary>Creates the store with the shared options.</summary>
    /// <param name="options">The limits to apply; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentException">The options are out of range.</exception>
    protected ChatSessionStore(ChatPersistenceOptions? options)
    {
        Options = options ?? new ChatPersistenceOptions();
        var failure = ChatPersistenceOptionsValidator.Check(Options);
        if (failure is not null)
        {
            throw new ArgumentException(failure, nameof(options));
        }
    }

    /// <summary>The options this store validates input with.</summary>
    protected ChatPersistenceOptions Options { get; }

    /// <inheritdoc />
    public Task<ChatSession> GetOrCreateSessionAsync(string userId, string workflowId, string? title = null, CancellationToken cancellationToken = default)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        workflowId = InputValidator.WorkflowId(workflowId, nameof(workflowId));
        InputValidator.Title(title, nameof(title));
        cancellationToken.ThrowIfCancellationRequested();
        return GetOrCreateSessionCoreAsync(userId, workflowId, title, cancellationToken);
    }

    /// <inheritdoc />
    public Task<ChatSession?> GetSessionAsync(string userId, Guid sessionId, CancellationToken cancellationToken = default)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        InputValidator.NotEmpty(sessionId, nameof(sessionId));
        cancellationToken.ThrowIfCancellationRequested();
        return GetSessionCoreAsync(userId, sessionId, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<ChatPage<ChatSession>> ListSessionsAsync(string userId, ChatListRequest? request = null, CancellationToken cancellationToken = default)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        request ??= ChatListRequest.First;
        InputValidator.PageSize(request.PageSize, ChatPersistenceLimits.MaxPageSize, nameof(request));
        var scope = ChatCursor.Scope("sessions", userId);
        DateTimeOffset? afterUpdatedAt = null;
        Guid? afterId = null;
        if (request.Cursor is not null)
        {
            var payload = ChatCursor.Decode(request.Cursor, ChatCursor.Kind.Sessions, scope, SessionsPayloadLength, nameof(request));
            afterUpdatedAt = ChatTime.FromUnixMicroseconds(BinaryPrimitives.ReadInt64LittleEndian(payload));
            afterId = new Guid(payload.AsSpan(8, 16));
        }

        cancellationToken.ThrowIfCancellationRequested();
        var rows = await ListSessionsCoreAsync(userId, afterUpdatedAt, afterId, request.PageSize + 1, cancellationToken).ConfigureAwait(false);
        return ToPage(rows, request.PageSize, last =>
        {
            Span<byte> payload = stackalloc byte[SessionsPayloadLength];
            BinaryPrimitives.WriteInt64LittleEndian(payload, ChatTime.ToUnixMicroseconds(last.UpdatedAt));
            _ = last.Id.TryWriteBytes(payload[8..]);
            return ChatCursor.Encode(ChatCursor.Kind.Sessions, scope, payload);
        });
    }

    /// <inheritdoc />
    public Task<ChatSession> RenameSessionAsync(string userId, Guid sessionId, string? title, CancellationToken cancellationToken = default)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        InputValidator.NotEmpty(sessionId, nameof(sessionId));
        InputValidator.Title(title, nameof(title));
        cancellationToken.ThrowIfCancellationRequested();
        return RenameSessionCoreAsync(userId, sessionId, title, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredChatMessage>> AppendMessagesAsync(string userId, Guid sessionId, IReadOnlyList<NewChatMessage> messages, CancellationToken cancellationToken = default)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        InputValidator.NotEmpty(sessionId, nameof(sessionId));
        var validated = InputValidator.Messages(messages, Options, nameof(messages));
        CheckParents(validated, nameof(messages));
        for (var i = 0; i < validated.Length; i++)
        {
            validated[i] = StoredText.Encode(validated[i]);
        }

        cancellationToken.ThrowIfCancellationRequested();
        return DecodeAsync(AppendMessagesCoreAsync(userId, sessionId, validated, cancellationToken));
    }

    /// <inheritdoc />
    public async Task<ChatMessagePage> GetMessagesAsync(string userId, Guid sessionId, ChatHistoryRequest? request = null, CancellationToken cancellationToken = default)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        InputValidator.NotEmpty(sessionId, nameof(sessionId));
        request ??= ChatHistoryRequest.Latest;
        InputValidator.PageSize(request.PageSize, ChatPersistenceLimits.MaxPageSize, nameof(request));
        if (request.LeafId is { } leafId)
        {
            InputValidator.NotEmpty(leafId, nameof(request));
            if (request.AllBranches)
            {
                throw new ArgumentException("A history request reads either the path to LeafId or all branches, not both.", nameof(request));
            }
        }

        if (request.LeafId is not null || request.AllBranches)
        {
            RequireBranches();
        }

        // The active path keeps the scope of the linear history, so cursors issued before branches existed stay valid.
        var scope = request.LeafId is { } leaf
            ? ChatCursor.Scope("history", userId, sessionId.ToString(), "leaf", leaf.ToString())
            : request.AllBranches
                ? ChatCursor.Scope("history", userId, sessionId.ToString(), "all")
                : ChatCursor.Scope("history", userId, sessionId.ToString());
        long? boundary = null;
        var older = request.Start == ChatHistoryStart.Newest;
        if (request.Cursor is not null)
        {
            var payload = ChatCursor.Decode(request.Cursor, ChatCursor.Kind.History, scope, HistoryPayloadLength, nameof(request));
            boundary = BinaryPrimitives.ReadInt64LittleEndian(payload);
            older = payload[8] == 0;
        }
        else if (!Enum.IsDefined(request.Start))
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.Start, "Unknown history start.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var slice = await ReadPathCoreAsync(userId, sessionId, request.LeafId, request.AllBranches, boundary, older, request.PageSize + 1, cancellationToken).ConfigureAwait(false);
        var rows = slice.Messages;
        var hasMore = rows.Count > request.PageSize;
        var count = Math.Min(rows.Count, request.PageSize);
        var messages = new StoredChatMessage[count];
        for (var i = 0; i < count; i++)
        {
            messages[older ? count - 1 - i : i] = StoredText.Decode(rows[i]);
        }

        var beyond = boundary is not null && slice.HasMessagesBeyondBoundary;
        long? first = count > 0 ? messages[0].Sequence : boundary;
        long? last = count > 0 ? messages[^1].Sequence : boundary;
        return new ChatMessagePage
        {
            Messages = messages,
            HasOlder = older ? hasMore : beyond,
            HasNewer = older ? beyond : hasMore,
            OlderCursor = first is { } f ? HistoryCursor(scope, f, older: true) : null,
            NewerCursor = last is { } l ? HistoryCursor(scope, l, older: false) : null,
            Siblings = PageSiblings(slice.Siblings, messages),
        };
    }

    /// <inheritdoc />
    public Task<long> ClearSessionAsync(string userId, Guid sessionId, CancellationToken cancellationToken = default)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        InputValidator.NotEmpty(sessionId, nameof(sessionId));
        cancellationToken.ThrowIfCancellationRequested();
        return ClearSessionCoreAsync(userId, sessionId, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> DeleteSessionAsync(string userId, Guid sessionId, CancellationToken cancellationToken = default)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        InputValidator.NotEmpty(sessionId, nameof(sessionId));
        cancellationToken.ThrowIfCancellationRequested();
        return DeleteSessionCoreAsync(userId, sessionId, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<ChatPage<ChatSearchHit>> SearchAsync(string userId, ChatSearchRequest request, CancellationToken cancellationToken = default)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        ArgumentNullException.ThrowIfNull(request);
        InputValidator.SearchQuery(request.Query, nameof(request));
        if (request.SessionId is { } sessionId)
        {
            InputValidator.NotEmpty(sessionId, nameof(request));
        }

        InputValidator.PageSize(request.PageSize, ChatPersistenceLimits.MaxSearchPageSize, nameof(request));
        var scope = ChatCursor.Scope("search", userId, request.SessionId?.ToString(), request.Query);
        var offset = 0;
        if (request.Cursor is not null)
        {
            var payload = ChatCursor.Decode(request.Cursor, ChatCursor.Kind.Search, scope, SearchPayloadLength, nameof(request));
            offset = BinaryPrimitives.ReadInt32LittleEndian(payload);
            if (offset < 0)
            {
                throw new ArgumentException("The cursor is malformed.", nameof(request));
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        var rows = (await SearchCoreAsync(userId, request.Query, request.SessionId, offset, request.PageSize + 1, cancellationToken).ConfigureAwait(false))
            .Select(StoredText.Decode).ToList();
        return ToPage(rows, request.PageSize, _ =>
        {
            Span<byte> payload = stackalloc byte[SearchPayloadLength];
            BinaryPrimitives.WriteInt32LittleEndian(payload, offset + request.PageSize);
            return ChatCursor.Encode(ChatCursor.Kind.Search, scope, payload);
        });
    }

    /// <inheritdoc />
    public Task<StoredChatMessage> SetFavoriteAsync(string userId, Guid messageId, bool isFavorite, CancellationToken cancellationToken = default)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        InputValidator.NotEmpty(messageId, nameof(messageId));
        cancellationToken.ThrowIfCancellationRequested();
        return DecodeAsync(SetFavoriteCoreAsync(userId, messageId, isFavorite, cancellationToken));
    }

    /// <inheritdoc />
    public async Task<ChatPage<StoredChatMessage>> ListFavoritesAsync(string userId, ChatFavoritesRequest? request = null, CancellationToken cancellationToken = default)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        request ??= new ChatFavoritesRequest();
        if (request.SessionId is { } sessionId)
        {
            InputValidator.NotEmpty(sessionId, nameof(request));
        }

        InputValidator.PageSize(request.PageSize, ChatPersistenceLimits.MaxPageSize, nameof(request));
        var scope = ChatCursor.Scope("favorites", userId, request.SessionId?.ToString());
        long? before = null;
        if (request.Cursor is not null)
        {
            var payload = ChatCursor.Decode(request.Cursor, ChatCursor.Kind.Favorites, scope, FavoritesPayloadLength, nameof(request));
            before = BinaryPrimitives.ReadInt64LittleEndian(payload);
        }

        cancellationToken.ThrowIfCancellationRequested();
        var rows = (await ListFavoritesCoreAsync(userId, request.SessionId, before, request.PageSize + 1, cancellationToken).ConfigureAwait(false))
            .Select(StoredText.Decode).ToList();
        return ToPage(rows, request.PageSize, last =>
        {
            Span<byte> payload = stackalloc byte[FavoritesPayloadLength];
            BinaryPrimitives.WriteInt64LittleEndian(payload, last.Sequence);
            return ChatCursor.Encode(ChatCursor.Kind.Favorites, scope, payload);
        });
    }

    /// <inheritdoc />
    public Task<int> DeleteIdleSessionsAsync(DateTimeOffset idleBefore, int maxSessions = 1000, CancellationToken cancellationToken = default)
    {
        if (maxSessions < 1 || maxSessions > ChatPersistenceLimits.MaxRetentionBatchSize)
        {
            throw new ArgumentOutOfRangeException(nameof(maxSessions), maxSessions, $"The batch size must be between 1 and {ChatPersistenceLimits.MaxRetentionBatchSize}.");
        }

        cancellationToken.ThrowIfCancellationRequested();
        return DeleteIdleSessionsCoreAsync(ChatTime.Truncate(idleBefore), maxSessions, cancellationToken);
    }

    /// <summary>Truncates a timestamp to UTC whole microseconds, the precision every store keeps.</summary>
    /// <param name="value">The timestamp.</param>
    /// <returns>The truncated UTC timestamp.</returns>
    protected static DateTimeOffset TruncateToMicroseconds(DateTimeOffset value) => ChatTime.Truncate(value);

    /// <summary>Gets or creates the session (see <see cref="IChatSessionStore.GetOrCreateSessionAsync"/>); race-free.</summary>
    /// <param name="userId">The validated owner.</param>
    /// <param name="workflowId">The validated workflow id.</param>
    /// <param name="title">The validated title for a new session.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The session.</returns>
    protected abstract Task<ChatSession> GetOrCreateSessionCoreAsync(string userId, string workflowId, string? title, CancellationToken cancellationToken);

    /// <summary>Returns the user's session, or <see langword="null"/>.</summary>
    /// <param name="userId">The validated owner.</param>
    /// <param name="sessionId">The session id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The session or <see langword="null"/>.</returns>
    protected abstract Task<ChatSession?> GetSessionCoreAsync(string userId, Guid sessionId, CancellationToken cancellationToken);

    /// <summary>
    /// Returns up to <paramref name="limit"/> of the user's sessions ordered by <see cref="ChatSession.UpdatedAt"/> descending then
    /// <see cref="ChatSession.Id"/> descending (ids compared as their lower-case "D" strings, ordinally, which is also PostgreSQL's
    /// uuid order), strictly after the
    /// position (<paramref name="afterUpdatedAt"/>, <paramref name="afterId"/>) when given.
    /// </summary>
    /// <param name="userId">The validated owner.</param>
    /// <param name="afterUpdatedAt">The keyset position's timestamp, or <see langword="null"/> for the first page.</param>
    /// <param name="afterId">The keyset position's id, or <see langword="null"/> for the first page.</param>
    /// <param name="limit">How many rows to return at most (the page size plus one).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The rows.</returns>
    protected abstract Task<IReadOnlyList<ChatSession>> ListSessionsCoreAsync(string userId, DateTimeOffset? afterUpdatedAt, Guid? afterId, int limit, CancellationToken cancellationToken);

    /// <summary>Renames the user's session and bumps its <see cref="ChatSession.UpdatedAt"/>; throws <see cref="ChatNotFoundException"/>.</summary>
    /// <param name="userId">The validated owner.</param>
    /// <param name="sessionId">The session id.</param>
    /// <param name="title">The validated title or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The updated session.</returns>
    protected abstract Task<ChatSession> RenameSessionCoreAsync(string userId, Guid sessionId, string? title, CancellationToken cancellationToken);

    /// <summary>
    /// Appends the validated batch atomically and idempotently (see <see cref="IChatSessionStore.AppendMessagesAsync"/>),
    /// assigning increasing sequence numbers in batch order, and bumps the session's <see cref="ChatSession.UpdatedAt"/>,
    /// <see cref="ChatSession.MessageCount"/> and <see cref="ChatSession.LastMessageAt"/>. Throws <see cref="ChatNotFoundException"/>
    /// or <see cref="ChatConflictException"/> with nothing written.
    /// </summary>
    /// <param name="userId">The validated owner.</param>
    /// <param name="sessionId">The session id.</param>
    /// <param name="messages">The validated batch (creation times already truncated to microseconds).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The stored messages in batch order.</returns>
    protected abstract Task<IReadOnlyList<StoredChatMessage>> AppendMessagesCoreAsync(string userId, Guid sessionId, IReadOnlyList<NewChatMessage> messages, CancellationToken cancellationToken);

    /// <summary>
    /// Reads up to <paramref name="limit"/> messages of the user's session in traversal order: when <paramref name="older"/>, those with
    /// a sequence below <paramref name="boundary"/> (or the newest, without one) in descending order; otherwise those above it (or the
    /// oldest) in ascending order. Also reports whether any message lies on the other side of the boundary (sequence ≥ it when reading
    /// older, ≤ it when reading newer). Throws <see cref="ChatNotFoundException"/> for a session that is missing or not the user's.
    /// </summary>
    /// <param name="userId">The validated owner.</param>
    /// <param name="sessionId">The session id.</param>
    /// <param name="boundary">The exclusive boundary sequence, or <see langword="null"/> to start at an end.</param>
    /// <param name="older">Whether to read towards older messages.</param>
    /// <param name="limit">How many rows to return at most (the page size plus one).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The slice.</returns>
    protected abstract Task<ChatHistorySlice> ReadHistoryCoreAsync(string userId, Guid sessionId, long? boundary, bool older, int limit, CancellationToken cancellationToken);

    /// <summary>Deletes the messages of the user's session, keeps it and bumps its <see cref="ChatSession.UpdatedAt"/>; throws <see cref="ChatNotFoundException"/>.</summary>
    /// <param name="userId">The validated owner.</param>
    /// <param name="sessionId">The session id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>How many messages were deleted.</returns>
    protected abstract Task<long> ClearSessionCoreAsync(string userId, Guid sessionId, CancellationToken cancellationToken);

    /// <summary>Deletes the user's session and its messages.</summary>
    /// <param name="userId">The validated owner.</param>
    /// <param name="sessionId">The session id.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>Whether a session was deleted.</returns>
    protected abstract Task<bool> DeleteSessionCoreAsync(string userId, Guid sessionId, CancellationToken cancellationToken);

    /// <summary>
    /// Searches the user's messages (see <see cref="IChatSessionStore.SearchAsync"/>), best rank first then newest first, skipping
    /// <paramref name="offset"/> hits and returning up to <paramref name="limit"/>. Throws <see cref="ChatNotFoundException"/> when
    /// <paramref name="sessionId"/> is given and is not the user's.
    /// </summary>
    /// <param name="userId">The validated owner.</param>
    /// <param name="query">The validated query text.</param>
    /// <param name="sessionId">The session to search in, or <see langword="null"/> for all of the user's sessions.</param>
    /// <param name="offset">How many hits to skip.</param>
    /// <param name="limit">How many hits to return at most (the page size plus one).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The hits.</returns>
    protected abstract Task<IReadOnlyList<ChatSearchHit>> SearchCoreAsync(string userId, string query, Guid? sessionId, int offset, int limit, CancellationToken cancellationToken);

    /// <summary>Sets the favourite flag of the user's message; throws <see cref="ChatNotFoundException"/>.</summary>
    /// <param name="userId">The validated owner.</param>
    /// <param name="messageId">The message id.</param>
    /// <param name="isFavorite">The new state.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The updated message.</returns>
    protected abstract Task<StoredChatMessage> SetFavoriteCoreAsync(string userId, Guid messageId, bool isFavorite, CancellationToken cancellationToken);

    /// <summary>
    /// Returns up to <paramref name="limit"/> of the user's favourite messages with a sequence below <paramref name="beforeSequence"/>
    /// (all when <see langword="null"/>), in descending sequence order. Throws <see cref="ChatNotFoundException"/> when
    /// <paramref name="sessionId"/> is given and is not the user's.
    /// </summary>
    /// <param name="userId">The validated owner.</param>
    /// <param name="sessionId">The session, or <see langword="null"/> for all of the user's sessions.</param>
    /// <param name="beforeSequence">The exclusive keyset position, or <see langword="null"/>.</param>
    /// <param name="limit">How many rows to return at most (the page size plus one).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The rows.</returns>
    protected abstract Task<IReadOnlyList<StoredChatMessage>> ListFavoritesCoreAsync(string userId, Guid? sessionId, long? beforeSequence, int limit, CancellationToken cancellationToken);

    /// <summary>Deletes up to <paramref name="maxSessions"/> sessions of any user idle since before <paramref name="idleBefore"/>, oldest first.</summary>
    /// <param name="idleBefore">The cutoff (already truncated to microseconds).</param>
    /// <param name="maxSessions">The validated batch size.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>How many sessions were deleted.</returns>
    protected abstract Task<int> DeleteIdleSessionsCoreAsync(DateTimeOffset idleBefore, int maxSessions, CancellationToken cancellationToken);

    /// <inheritdoc />
    /// <remarks>A store that keeps replies in progress overrides it and the reply core methods.</remarks>
    public virtual ChatStoreCapabilities Capabilities => ChatStoreCapabilities.None;

    /// <inheritdoc />
    public Task<StoredChatMessage> BeginReplyAsync(string userId, Guid sessionId, NewChatReply reply, CancellationToken cancellationToken = default)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        InputValidator.NotEmpty(sessionId, nameof(sessionId));
        ArgumentNullException.ThrowIfNull(reply);
        if (reply.Id == Guid.Empty)
        {
            throw new ArgumentException("The reply has the id Guid.Empty; use Guid.CreateVersion7().", nameof(reply));
        }

        if (reply.Metadata is { } metadata)
        {
            InputValidator.Metadata(metadata, Options, nameof(reply), "The reply's");
        }

        var lease = reply.Lease ?? Options.Replies.Lease;
        if (lease < ChatPersistenceLimits.MinReplyLease || lease > ChatPersistenceLimits.MaxReplyLease)
        {
            throw new ArgumentOutOfRangeException(nameof(reply), lease, $"A reply's lease must be between {ChatPersistenceLimits.MinReplyLease} and {ChatPersistenceLimits.MaxReplyLease}.");
        }

        if (reply.ParentId is { } parentId)
        {
            if (parentId == NewChatMessage.RootParent || parentId == reply.Id)
            {
                throw new ArgumentException("A reply answers a message: its ParentId can be neither RootParent nor its own id.", nameof(reply));
            }

            RequireBranches();
        }

        RequireReplies();
        cancellationToken.ThrowIfCancellationRequested();
        if (reply.Metadata is { } given)
        {
            reply = reply with { Metadata = StoredText.EncodeMetadata(given) };
        }

        return DecodeAsync(BeginReplyCoreAsync(userId, sessionId, reply, lease, cancellationToken));
    }

    /// <inheritdoc />
    public async Task<ChatReplyProgress> GrowReplyAsync(string userId, Guid messageId, long offset, string text, CancellationToken cancellationToken = default)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        InputValidator.NotEmpty(messageId, nameof(messageId));
        var chunk = InputValidator.ReplyText(offset, text, Options, nameof(text));
        RequireReplies();
        cancellationToken.ThrowIfCancellationRequested();
        var progress = await GrowReplyCoreAsync(userId, messageId, chunk, cancellationToken).ConfigureAwait(false);
        return progress.Status == ChatReplyStatus.Streaming
            ? progress
            : throw ChatReplyEndedException.For(messageId, progress.Status, progress.Reason, progress.Length);
    }

    /// <inheritdoc />
    public Task<StoredChatMessage> FinishReplyAsync(string userId, Guid messageId, ChatReplyFinish finish, CancellationToken cancellationToken = default)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        InputValidator.NotEmpty(messageId, nameof(messageId));
        ArgumentNullException.ThrowIfNull(finish);
        if (!Enum.IsDefined(finish.Status) || finish.Status == ChatReplyStatus.Streaming)
        {
            throw new ArgumentException($"A reply ends as Complete, Stopped or Interrupted, not {finish.Status}.", nameof(finish));
        }

        if (!Enum.IsDefined(finish.Reason) || (finish.Reason == ChatReplyReason.None) != (finish.Status == ChatReplyStatus.Complete))
        {
            throw new ArgumentException($"The reason {finish.Reason} does not fit the status {finish.Status}: a complete reply has no reason, a stopped or interrupted one has one.", nameof(finish));
        }

        if (finish.ReasonDetail is { } detail)
        {
            if (finish.Reason == ChatReplyReason.None || detail.Length > ChatPersistenceLimits.MaxReasonDetailLength)
            {
                throw new ArgumentException($"A reason detail goes with a reason and holds at most {ChatPersistenceLimits.MaxReasonDetailLength} characters.", nameof(finish));
            }

            InputValidator.Text(detail, nameof(finish), "The reason detail");
        }

        if (finish.Metadata is { } metadata)
        {
            InputValidator.Metadata(metadata, Options, nameof(finish), "The reply's");
        }

        var tail = InputValidator.ReplyText(finish.Text.Length == 0 ? 0 : finish.Offset, finish.Text, Options, nameof(finish));
        RequireReplies();
        cancellationToken.ThrowIfCancellationRequested();
        if (finish.Metadata is { } given)
        {
            finish = finish with { Metadata = StoredText.EncodeMetadata(given) };
        }

        return DecodeAsync(FinishReplyCoreAsync(userId, messageId, tail, finish, cancellationToken));
    }

    /// <inheritdoc />
    public Task<StoredChatMessage> StopReplyAsync(string userId, Guid messageId, CancellationToken cancellationToken = default)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        InputValidator.NotEmpty(messageId, nameof(messageId));
        RequireReplies();
        cancellationToken.ThrowIfCancellationRequested();
        return DecodeAsync(StopReplyCoreAsync(userId, messageId, cancellationToken));
    }

    /// <inheritdoc />
    public async Task<ChatReplyText> ReadReplyAsync(string userId, Guid messageId, long offset = 0, CancellationToken cancellationToken = default)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        InputValidator.NotEmpty(messageId, nameof(messageId));
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        RequireReplies();
        cancellationToken.ThrowIfCancellationRequested();
        var stored = await ReadReplyCoreAsync(userId, messageId, offset, cancellationToken).ConfigureAwait(false);

        // The core returns the stored (escaped) text from stored.Offset (at or before the offset asked for).
        var text = StoredText.Decode(stored.Text);
        var start = offset - stored.Offset;
        if (start >= text.Length)
        {
            return stored with { Offset = offset, Text = "" };
        }

        // Never start between the two halves of a surrogate pair: from the pair's start instead.
        if (start > 0 && char.IsLowSurrogate(text[(int)start]) && char.IsHighSurrogate(text[(int)start - 1]))
        {
            start--;
        }

        return stored with { Offset = stored.Offset + start, Text = start <= 0 ? text : text[(int)start..] };
    }

    /// <summary>Begins a reply (see <see cref="BeginReplyAsync"/>); called with validated arguments and the lease to use.</summary>
    /// <param name="userId">The owner.</param>
    /// <param name="sessionId">The session.</param>
    /// <param name="reply">The reply (metadata validated).</param>
    /// <param name="lease">The lease: the reply's, or the default.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The stored reply (content as stored).</returns>
    /// <exception cref="NotSupportedException">The store does not keep replies in progress (the default).</exception>
    protected virtual Task<StoredChatMessage> BeginReplyCoreAsync(string userId, Guid sessionId, NewChatReply reply, TimeSpan lease, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This chat store does not keep replies in progress.");

    /// <summary>
    /// Stores a chunk (see <see cref="GrowReplyAsync"/>). Reports an ended reply through <see cref="ChatReplyProgress.Status"/>
    /// rather than throwing; the base class throws <see cref="ChatReplyEndedException"/>.
    /// </summary>
    /// <param name="userId">The owner.</param>
    /// <param name="messageId">The reply.</param>
    /// <param name="chunk">The validated chunk.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The progress.</returns>
    /// <exception cref="NotSupportedException">The store does not keep replies in progress (the default).</exception>
    protected virtual Task<ChatReplyProgress> GrowReplyCoreAsync(string userId, Guid messageId, ChatTextChunk chunk, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This chat store does not keep replies in progress.");

    /// <summary>Ends a reply (see <see cref="FinishReplyAsync"/>).</summary>
    /// <param name="userId">The owner.</param>
    /// <param name="messageId">The reply.</param>
    /// <param name="tail">The last text (possibly empty).</param>
    /// <param name="finish">The validated end.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The stored reply (content as stored).</returns>
    /// <exception cref="NotSupportedException">The store does not keep replies in progress (the default).</exception>
    protected virtual Task<StoredChatMessage> FinishReplyCoreAsync(string userId, Guid messageId, ChatTextChunk tail, ChatReplyFinish finish, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This chat store does not keep replies in progress.");

    /// <summary>Records a stop request (see <see cref="StopReplyAsync"/>).</summary>
    /// <param name="userId">The owner.</param>
    /// <param name="messageId">The reply.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The stored reply (content as stored).</returns>
    /// <exception cref="NotSupportedException">The store does not keep replies in progress (the default).</exception>
    protected virtual Task<StoredChatMessage> StopReplyCoreAsync(string userId, Guid messageId, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This chat store does not keep replies in progress.");

    /// <summary>
    /// Reads a reply's stored (escaped) text starting at or before <paramref name="offset"/>, with <see cref="ChatReplyText.Offset"/>
    /// saying where it starts (0 is always right); the base class decodes it and cuts it at the offset.
    /// </summary>
    /// <param name="userId">The owner.</param>
    /// <param name="messageId">The message.</param>
    /// <param name="offset">The offset asked for.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The text and state.</returns>
    /// <exception cref="NotSupportedException">The store does not keep replies in progress (the default).</exception>
    protected virtual Task<ChatReplyText> ReadReplyCoreAsync(string userId, Guid messageId, long offset, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This chat store does not keep replies in progress.");

    /// <inheritdoc />
    public Task<ChatSiblings> GetSiblingsAsync(string userId, Guid messageId, CancellationToken cancellationToken = default)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        InputValidator.NotEmpty(messageId, nameof(messageId));
        RequireBranches();
        cancellationToken.ThrowIfCancellationRequested();
        return GetSiblingsCoreAsync(userId, messageId, cancellationToken);
    }

    /// <inheritdoc />
    public Task<ChatActivePath> SwitchBranchAsync(string userId, Guid sessionId, Guid messageId, CancellationToken cancellationToken = default)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        InputValidator.NotEmpty(sessionId, nameof(sessionId));
        InputValidator.NotEmpty(messageId, nameof(messageId));
        RequireBranches();
        cancellationToken.ThrowIfCancellationRequested();
        return SwitchBranchCoreAsync(userId, sessionId, messageId, cancellationToken);
    }

    /// <summary>
    /// Reads a page along a path (see <see cref="ReadHistoryCoreAsync"/> for the order, the limit and the boundary): the path
    /// ending at <paramref name="leafId"/>, the active path when it is <see langword="null"/>, or every message when
    /// <paramref name="allBranches"/>. Fills <see cref="ChatHistorySlice.Siblings"/> for returned messages that have other
    /// versions, and <see cref="StoredChatMessage.ParentId"/> of every row. Throws <see cref="ChatNotFoundException"/> when the
    /// leaf is not a message of the session. The default calls <see cref="ReadHistoryCoreAsync"/> for the active path and
    /// refuses the rest: a store with <see cref="ChatStoreCapabilities.Branches"/> overrides it.
    /// </summary>
    /// <param name="userId">The validated owner.</param>
    /// <param name="sessionId">The session id.</param>
    /// <param name="leafId">The path's last message, or <see langword="null"/> for the active path.</param>
    /// <param name="allBranches">Whether to read every branch in sequence order (then <paramref name="leafId"/> is <see langword="null"/>).</param>
    /// <param name="boundary">The exclusive boundary sequence, or <see langword="null"/> to start at an end.</param>
    /// <param name="older">Whether to read towards older messages.</param>
    /// <param name="limit">How many rows to return at most (the page size plus one).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The slice.</returns>
    /// <exception cref="NotSupportedException">A leaf or all branches were asked of a store without branches (the default).</exception>
    protected virtual Task<ChatHistorySlice> ReadPathCoreAsync(string userId, Guid sessionId, Guid? leafId, bool allBranches, long? boundary, bool older, int limit, CancellationToken cancellationToken) =>
        leafId is null && !allBranches
            ? ReadHistoryCoreAsync(userId, sessionId, boundary, older, limit, cancellationToken)
            : throw new NotSupportedException("This chat store does not keep branches.");

    /// <summary>Returns the versions of the user's message (see <see cref="GetSiblingsAsync"/>); throws <see cref="ChatNotFoundException"/>.</summary>
    /// <param name="userId">The validated owner.</param>
    /// <param name="messageId">The message.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The versions.</returns>
    /// <exception cref="NotSupportedException">The store does not keep branches (the default).</exception>
    protected virtual Task<ChatSiblings> GetSiblingsCoreAsync(string userId, Guid messageId, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This chat store does not keep branches.");

    /// <summary>Switches the active path (see <see cref="SwitchBranchAsync"/>); throws <see cref="ChatNotFoundException"/>.</summary>
    /// <param name="userId">The validated owner.</param>
    /// <param name="sessionId">The session.</param>
    /// <param name="messageId">The message the path must go through.</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The new active path.</returns>
    /// <exception cref="NotSupportedException">The store does not keep branches (the default).</exception>
    protected virtual Task<ChatActivePath> SwitchBranchCoreAsync(string userId, Guid sessionId, Guid messageId, CancellationToken cancellationToken) =>
        throw new NotSupportedException("This chat store does not keep branches.");

    private void CheckParents(NewChatMessage[] batch, string paramName)
    {
        Dictionary<Guid, int>? positions = null;
        for (var i = 0; i < batch.Length; i++)
        {
            if (batch[i].ParentId is not { } parentId)
            {
                continue;
            }

            RequireBranches();
            if (parentId == batch[i].Id)
            {
                throw new ArgumentException($"Message {i} ({batch[i].Id}) of the batch names itself as its parent.", paramName);
            }

            if (parentId == NewChatMessage.RootParent || batch.Length == 1)
            {
                continue;
            }

            // Ids are distinct (validated): a parent is stored before its children, so it cannot come later in the batch.
            positions ??= batch.Select((message, index) => (message.Id, index)).ToDictionary(p => p.Id, p => p.index);
            if (positions.TryGetValue(parentId, out var at) && at > i)
            {
                throw new ArgumentException($"Message {i} ({batch[i].Id}) of the batch names a later message of the batch as its parent: a parent is stored before its children.", paramName);
            }
        }
    }

    private static List<ChatSiblingPosition> PageSiblings(IReadOnlyList<ChatSiblingPosition> positions, StoredChatMessage[] page)
    {
        if (positions.Count == 0 || page.Length == 0)
        {
            return [];
        }

        // In page order, only the page's messages (the slice may hold one row more), only real versions.
        var byId = new Dictionary<Guid, ChatSiblingPosition>(positions.Count);
        foreach (var position in positions)
        {
            if (position.Count > 1)
            {
                byId[position.MessageId] = position;
            }
        }

        var kept = new List<ChatSiblingPosition>(byId.Count);
        foreach (var message in page)
        {
            if (byId.TryGetValue(message.Id, out var position))
            {
                kept.Add(position);
            }
        }

        return kept;
    }

    private void RequireBranches()
    {
        if (!Capabilities.Branches)
        {
            throw new NotSupportedException($"{GetType().Name} does not keep branches (Capabilities.Branches is false).");
        }
    }

    private void RequireReplies()
    {
        if (!Capabilities.Replies)
        {
            throw new NotSupportedException($"{GetType().Name} does not keep replies in progress (Capabilities.Replies is false).");
        }
    }

    private static string HistoryCursor(ulong scope, long sequence, bool older)
    {
        Span<byte> payload = stackalloc byte[HistoryPayloadLength];
        BinaryPrimitives.WriteInt64LittleEndian(payload, sequence);
        payload[8] = older ? (byte)0 : (byte)1;
        return ChatCursor.Encode(ChatCursor.Kind.History, scope, payload);
    }

    private static async Task<IReadOnlyList<StoredChatMessage>> DecodeAsync(Task<IReadOnlyList<StoredChatMessage>> stored)
    {
        var rows = await stored.ConfigureAwait(false);
        var decoded = new StoredChatMessage[rows.Count];
        for (var i = 0; i < decoded.Length; i++)
        {
            decoded[i] = StoredText.Decode(rows[i]);
        }

        return decoded;
    }

    private static async Task<StoredChatMessage> DecodeAsync(Task<StoredChatMessage> stored) => StoredText.Decode(await stored.ConfigureAwait(false));

    private static ChatPage<T> ToPage<T>(IReadOnlyList<T> rows, int pageSize, Func<T, string> cursorAfter)
    {
        if (rows.Count <= pageSize)
        {
            return new ChatPage<T> { Items = rows };
        }

        var items = new T[pageSize];
        for (var i = 0; i < pageSize; i++)
        {
            items[i] = rows[i];
        }

        return new ChatPage<T> { Items = items, NextCursor = cursorAfter(items[^1]) };
    }
}
