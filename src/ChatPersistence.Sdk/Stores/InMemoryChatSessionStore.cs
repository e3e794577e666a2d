using System.Text;
using System.Text.Json;
using ChatPersistence.Sdk.ChangeFeed;
using ChatPersistence.Sdk.Internal;

namespace ChatPersistence.Sdk;

/// <summary>
/// A complete, thread-safe store that keeps everything in process memory: the reference behaviour of the contract, and a
/// store for hosts' own unit tests. Nothing survives the process.
/// </summary>
/// <remarks>
/// All operations take one lock, so they are atomic with respect to each other. Search scans the user's messages. The store
/// is also its own <see cref="IChatChangeFeed"/>: watchers get each change as the write returns, and the last
/// <see cref="ChangeLogCapacity"/> changes are kept for resuming watchers.
/// </remarks>
public sealed class InMemoryChatSessionStore : ChatSessionStore, IChatChangeFeed
{
    /// <summary>How many of the latest changes the store keeps for watchers that resume with a position.</summary>
    public const int ChangeLogCapacity = 10_000;

    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly Dictionary<(string UserId, string WorkflowId), SessionState> _byKey = [];
    private readonly Dictionary<Guid, SessionState> _sessions = [];
    private readonly Dictionary<Guid, MessageLocation> _messages = [];
    private readonly ChangeFeedHub _feed = new();
    private readonly Queue<ChatChange> _changeLog = new();
    private readonly Dictionary<Guid, ReplyState> _replies = [];
    private long _sequence;
    private long _position;

    /// <summary>Creates an empty store with the default options and the system clock.</summary>
    public InMemoryChatSessionStore()
        : this(null, null)
    {
    }

    /// <summary>Creates an empty store.</summary>
    /// <param name="options">The input limits; <see langword="null"/> uses the defaults.</param>
    /// <param name="timeProvider">The clock for timestamps; <see langword="null"/> uses <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="ArgumentException">The options are out of range.</exception>
    public InMemoryChatSessionStore(ChatPersistenceOptions? options, TimeProvider? timeProvider = null)
        : base(options)
    {
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <inheritdoc />
    public override ChatStoreCapabilities Capabilities { get; } = new() { Replies = true, ReplyFlushInterval = TimeSpan.FromMilliseconds(50) };

    /// <inheritdoc />
    protected override Task<ChatSession> GetOrCreateSessionCoreAsync(string userId, string workflowId, string? title, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_byKey.TryGetValue((userId, workflowId), out var state))
            {
                var now = Now();
                state = new SessionState(new ChatSession
                {
                    Id = Guid.CreateVersion7(),
                    UserId = userId,
                    WorkflowId = workflowId,
                    Title = title,
                    CreatedAt = now,
                    UpdatedAt = now,
                });
                _byKey.Add((userId, workflowId), state);
                _sessions.Add(state.Session.Id, state);
            }

            return Task.FromResult(state.Session);
        }
    }

    /// <inheritdoc />
    protected override Task<ChatSession?> GetSessionCoreAsync(string userId, Guid sessionId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(Find(userId, sessionId)?.Session);
        }
    }

    /// <inheritdoc />
    protected override Task<IReadOnlyList<ChatSession>> ListSessionsCoreAsync(string userId, DateTimeOffset? afterUpdatedAt, Guid? afterId, int limit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var afterKey = afterId?.ToString();
            IReadOnlyList<ChatSession> rows = _sessions.Values
                .Select(s => s.Session)
                .Where(s => s.UserId == userId)
                .Where(s => afterUpdatedAt is null
                    || s.UpdatedAt < afterUpdatedAt
                    || (s.UpdatedAt == afterUpdatedAt && string.CompareOrdinal(s.Id.ToString(), afterKey) < 0))
                .OrderByDescending(s => s.UpdatedAt)
                .ThenByDescending(s => s.Id.ToString(), StringComparer.Ordinal)
                .Take(limit)
                .ToArray();
            return Task.FromResult(rows);
        }
    }

    /// <inheritdoc />
    protected override Task<ChatSession> RenameSessionCoreAsync(string userId, Guid sessionId, string? title, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var state = Find(userId, sessionId) ?? throw ChatNotFoundException.ForSession(sessionId);
            state.Session = state.Session with { Title = title, UpdatedAt = Later(state.Session.UpdatedAt) };
            Log(ChatChangeKind.SessionRenamed, userId, sessionId);
            return Task.FromResult(state.Session);
        }
    }

    /// <inheritdoc />
    protected override Task<IReadOnlyList<StoredChatMessage>> AppendMessagesCoreAsync(string userId, Guid sessionId, IReadOnlyList<NewChatMessage> messages, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var state = Find(userId, sessionId) ?? throw ChatNotFoundException.ForSession(sessionId);

            // Check the whole batch before writing anything: all or nothing.
            var result = new StoredChatMessage?[messages.Count];
            for (var i = 0; i < messages.Count; i++)
            {
                if (_messages.TryGetValue(messages[i].Id, out var existing))
                {
                    var stored = Current(existing);
                    if (existing.Session != state || !SameMessage(stored, messages[i]))
                    {
                        throw ChatConflictException.ForMessage(messages[i].Id);
                    }

                    result[i] = stored;
                }
            }

            var now = Now();
            var appended = 0;
            for (var i = 0; i < messages.Count; i++)
            {
                if (result[i] is not null)
                {
                    continue;
                }

                var message = messages[i];
                var stored = new StoredChatMessage
                {
                    Id = message.Id,
                    SessionId = sessionId,
                    Sequence = ++_sequence,
                    Role = message.Role,
                    Content = message.Content,
                    Metadata = message.Metadata?.Clone() ?? EmptyObject,
                    CreatedAt = message.CreatedAt ?? now,
                };
                _messages.Add(stored.Id, new MessageLocation(state, state.Messages.Count));
                state.Messages.Add(stored);
                result[i] = stored;
                appended++;
            }

            if (appended > 0)
            {
                var last = state.Messages[^1];
                state.Session = state.Session with
                {
                    UpdatedAt = Later(state.Session.UpdatedAt),
                    MessageCount = state.Messages.Count,
                    LastMessageAt = last.CreatedAt,
                };
                Log(ChatChangeKind.MessagesAppended, userId, sessionId, last.Sequence);
            }

            return Task.FromResult<IReadOnlyList<StoredChatMessage>>(result!);
        }
    }

    /// <inheritdoc />
    protected override Task<ChatHistorySlice> ReadHistoryCoreAsync(string userId, Guid sessionId, long? boundary, bool older, int limit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var list = (Find(userId, sessionId) ?? throw ChatNotFoundException.ForSession(sessionId)).Messages;

            // Index of the first message with a sequence >= boundary (messages are in ascending sequence order).
            var split = boundary is { } b ? LowerBound(list, b) : (older ? list.Count : 0);
            var rows = new List<StoredChatMessage>(Math.Min(limit, list.Count));
            bool beyond;
            if (older)
            {
                for (var i = split - 1; i >= 0 && rows.Count < limit; i--)
                {
                    rows.Add(Current(list, i));
                }

                beyond = boundary is not null && split < list.Count;
            }
            else
            {
                var from = split < list.Count && boundary is { } bb && list[split].Sequence == bb ? split + 1 : split;
                for (var i = from; i < list.Count && rows.Count < limit; i++)
                {
                    rows.Add(Current(list, i));
                }

                beyond = boundary is not null && from > 0;
            }

            return Task.FromResult(new ChatHistorySlice(rows, beyond));
        }
    }

    /// <inheritdoc />
    protected override Task<long> ClearSessionCoreAsync(string userId, Guid sessionId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var state = Find(userId, sessionId) ?? throw ChatNotFoundException.ForSession(sessionId);
            long count = state.Messages.Count;
            foreach (var message in state.Messages)
            {
                _messages.Remove(message.Id);
                _replies.Remove(message.Id);
            }

            state.Messages.Clear();
            state.Session = state.Session with { UpdatedAt = Later(state.Session.UpdatedAt), MessageCount = 0, LastMessageAt = null };
            Log(ChatChangeKind.SessionCleared, userId, sessionId);
            return Task.FromResult(count);
        }
    }

    /// <inheritdoc />
    protected override Task<bool> DeleteSessionCoreAsync(string userId, Guid sessionId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var state = Find(userId, sessionId);
            if (state is null)
            {
                return Task.FromResult(false);
            }

            Remove(state);
            return Task.FromResult(true);
        }
    }

    /// <inheritdoc />
    protected override Task<IReadOnlyList<ChatSearchHit>> SearchCoreAsync(string userId, string query, Guid? sessionId, int offset, int limit, CancellationToken cancellationToken)
    {
        var terms = TextSearch.ParseQuery(query);
        List<(StoredChatMessage Message, string WorkflowId)> candidates;
        lock (_gate)
        {
            IEnumerable<SessionState> scope;
            if (sessionId is { } id)
            {
                scope = [Find(userId, id) ?? throw ChatNotFoundException.ForSession(id)];
            }
            else
            {
                scope = _sessions.Values.Where(s => s.Session.UserId == userId);
            }

            // A reply is searchable once it has ended (streaming text is indexed once, at the end, by every store).
            candidates = scope
                .SelectMany(s => Enumerable.Range(0, s.Messages.Count).Select(i => (Current(s.Messages, i), s.Session.WorkflowId)))
                .Where(c => c.Item1.Status != ChatReplyStatus.Streaming)
                .ToList();
        }

        var hits = new List<ChatSearchHit>();
        foreach (var (message, workflowId) in candidates)
        {
            var words = TextSearch.Words(message.Content);
            if (TextSearch.Rank(words, terms) is not { } rank)
            {
                continue;
            }

            var (snippet, highlights) = TextSearch.Snippet(message.Content, words, terms);
            hits.Add(new ChatSearchHit { Message = message, WorkflowId = workflowId, Rank = rank, Snippet = snippet, Highlights = highlights });
        }

        IReadOnlyList<ChatSearchHit> page = hits
            .OrderByDescending(h => h.Rank)
            .ThenByDescending(h => h.Message.Sequence)
            .Skip(offset)
            .Take(limit)
            .ToArray();
        return Task.FromResult(page);
    }

    /// <inheritdoc />
    protected override Task<StoredChatMessage> SetFavoriteCoreAsync(string userId, Guid messageId, bool isFavorite, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_messages.TryGetValue(messageId, out var location) || location.Session.Session.UserId != userId)
            {
                throw ChatNotFoundException.ForMessage(messageId);
            }

            var previous = Current(location);
            var updated = previous with { IsFavorite = isFavorite };
            location.Session.Messages[location.Index] = updated;
            if (previous.IsFavorite != isFavorite)
            {
                Log(ChatChangeKind.FavoriteSet, userId, updated.SessionId, updated.Sequence, updated.Id, isFavorite);
            }

            return Task.FromResult(updated);
        }
    }

    /// <inheritdoc />
    protected override Task<IReadOnlyList<StoredChatMessage>> ListFavoritesCoreAsync(string userId, Guid? sessionId, long? beforeSequence, int limit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IEnumerable<SessionState> scope = sessionId is { } id
                ? [Find(userId, id) ?? throw ChatNotFoundException.ForSession(id)]
                : _sessions.Values.Where(s => s.Session.UserId == userId);
            IReadOnlyList<StoredChatMessage> rows = scope
                .SelectMany(s => Enumerable.Range(0, s.Messages.Count).Where(i => s.Messages[i].IsFavorite).Select(i => Current(s.Messages, i)))
                .Where(m => beforeSequence is null || m.Sequence < beforeSequence)
                .OrderByDescending(m => m.Sequence)
                .Take(limit)
                .ToArray();
            return Task.FromResult(rows);
        }
    }

    /// <inheritdoc />
    protected override Task<int> DeleteIdleSessionsCoreAsync(DateTimeOffset idleBefore, int maxSessions, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var now = Now();
            var live = _replies.Values.Where(r => now < r.Deadline).Select(r => r.Session).ToHashSet();
            var idle = _sessions.Values
                .Where(s => s.Session.UpdatedAt < idleBefore && !live.Contains(s))
                .OrderBy(s => s.Session.UpdatedAt)
                .Take(maxSessions)
                .ToArray();
            foreach (var state in idle)
            {
                Remove(state);
            }

            return Task.FromResult(idle.Length);
        }
    }

    /// <inheritdoc />
    protected override Task<StoredChatMessage> BeginReplyCoreAsync(string userId, Guid sessionId, NewChatReply reply, TimeSpan lease, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var state = Find(userId, sessionId) ?? throw ChatNotFoundException.ForSession(sessionId);
            if (_messages.TryGetValue(reply.Id, out var existing))
            {
                // A retried begin returns the reply as it is now; the id used for anything else is a conflict.
                var stored = Current(existing);
                return existing.Session == state && stored.Role == ChatMessageRole.Assistant
                    ? Task.FromResult(stored)
                    : throw ChatConflictException.ForMessage(reply.Id);
            }

            var now = Now();
            var replyState = new ReplyState(state, lease, now);
            var message = new StoredChatMessage
            {
                Id = reply.Id,
                SessionId = sessionId,
                Sequence = ++_sequence,
                Role = ChatMessageRole.Assistant,
                Content = "",
                Metadata = reply.Metadata?.Clone() ?? EmptyObject,
                CreatedAt = now,
                Status = ChatReplyStatus.Streaming,
                LeaseExpiresAt = replyState.Deadline,
            };
            _messages.Add(message.Id, new MessageLocation(state, state.Messages.Count));
            state.Messages.Add(message);
            _replies.Add(message.Id, replyState);
            state.Session = state.Session with { UpdatedAt = Later(state.Session.UpdatedAt), MessageCount = state.Messages.Count, LastMessageAt = now };
            Log(ChatChangeKind.MessagesAppended, userId, sessionId, message.Sequence);
            return Task.FromResult(message);
        }
    }

    /// <inheritdoc />
    protected override Task<ChatReplyProgress> GrowReplyCoreAsync(string userId, Guid messageId, ChatTextChunk chunk, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var location = Locate(userId, messageId);
            var message = Current(location);
            if (!_replies.TryGetValue(messageId, out var reply))
            {
                return Task.FromResult(Ended(message));
            }

            if (!Write(location, reply, chunk))
            {
                return Task.FromResult(Ended(Current(location)));
            }

            if (chunk.Length > 0)
            {
                _feed.PublishGrowth(new ChatChange
                {
                    Position = _position,
                    Kind = ChatChangeKind.ReplyGrew,
                    UserId = userId,
                    SessionId = location.Session.Session.Id,
                    Sequence = message.Sequence,
                    MessageId = messageId,
                    Length = reply.Text.Length,
                });
            }

            return Task.FromResult(new ChatReplyProgress
            {
                Length = reply.Text.Length,
                LeaseExpiresAt = reply.Deadline,
                StopRequested = reply.StopRequestedAt is not null,
            });
        }
    }

    /// <inheritdoc />
    protected override Task<StoredChatMessage> FinishReplyCoreAsync(string userId, Guid messageId, ChatTextChunk tail, ChatReplyFinish finish, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var location = Locate(userId, messageId);
            var message = Current(location);
            if (!_replies.TryGetValue(messageId, out var reply))
            {
                return Task.FromResult(message); // the first end wins
            }

            if (!Write(location, reply, tail))
            {
                return Task.FromResult(Current(location)); // the tail did not fit: ended as too large
            }

            return Task.FromResult(Settle(location, reply, finish.Status, finish.Reason, finish.ReasonDetail, finish.Metadata));
        }
    }

    /// <inheritdoc />
    protected override Task<StoredChatMessage> StopReplyCoreAsync(string userId, Guid messageId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var location = Locate(userId, messageId);
            var message = Current(location);
            if (!_replies.TryGetValue(messageId, out var reply) || reply.StopRequestedAt is not null)
            {
                return Task.FromResult(message);
            }

            reply.StopRequestedAt = Now();
            var updated = message with { Reason = ChatReplyReason.StopRequested, LeaseExpiresAt = reply.Deadline };
            location.Session.Messages[location.Index] = updated;
            Log(ChatChangeKind.ReplyStopRequested, userId, updated.SessionId, updated.Sequence, updated.Id);
            return Task.FromResult(updated);
        }
    }

    /// <inheritdoc />
    protected override Task<ChatReplyText> ReadReplyCoreAsync(string userId, Guid messageId, long offset, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var location = Locate(userId, messageId);
            var message = Current(location);
            return Task.FromResult(new ChatReplyText
            {
                MessageId = messageId,
                Offset = 0,
                Text = message.Content,
                Length = _replies.TryGetValue(messageId, out var reply) ? reply.Text.Length : StoredText.Decode(message.Content).Length,
                Status = message.Status,
                Reason = message.Reason,
                LeaseExpiresAt = message.LeaseExpiresAt,
            });
        }
    }

    private MessageLocation Locate(string userId, Guid messageId) =>
        _messages.TryGetValue(messageId, out var location) && location.Session.Session.UserId == userId
            ? location
            : throw ChatNotFoundException.ForMessage(messageId);

    private static ChatReplyProgress Ended(StoredChatMessage message) => new()
    {
        Length = StoredText.Decode(message.Content).Length,
        LeaseExpiresAt = message.CreatedAt,
        Status = message.Status,
        Reason = message.Reason,
    };

    // Stores a chunk at its offset: appended at the end, or a retry of text already there (nothing written); anything else
    // is a conflict. Renews the lease. False when the chunk would take the reply over the size limit: it is then ended as
    // interrupted (too large) with the text it had.
    private bool Write(MessageLocation location, ReplyState reply, ChatTextChunk chunk)
    {
        var now = Now();
        if (chunk.Length > 0)
        {
            var length = reply.Text.Length;
            if (chunk.Offset == length)
            {
                if (reply.Utf8Bytes + chunk.Utf8Bytes > Options.MaxContentBytes)
                {
                    Settle(location, reply, ChatReplyStatus.Interrupted, ChatReplyReason.TooLarge, $"The reply reached {Options.MaxContentBytes} UTF-8 bytes.", null);
                    return false;
                }

                reply.Text.Append(StoredText.Decode(chunk.StoredText));
                reply.Utf8Bytes += chunk.Utf8Bytes;
                var message = location.Session.Messages[location.Index];
                location.Session.Messages[location.Index] = message with { Content = StoredText.Encode(reply.Text.ToString()) };
            }
            else if (chunk.Offset > length || chunk.Offset + chunk.Length > length
                || !reply.Text.ToString((int)chunk.Offset, chunk.Length).Equals(StoredText.Decode(chunk.StoredText), StringComparison.Ordinal))
            {
                throw new ChatConflictException($"Reply '{location.Session.Messages[location.Index].Id}' holds {length} characters; text at offset {chunk.Offset} would leave a gap or differs from what is stored there.")
                {
                    MessageId = location.Session.Messages[location.Index].Id,
                };
            }
        }

        reply.LastProgress = now;
        var current = location.Session.Messages[location.Index];
        location.Session.Messages[location.Index] = current with { LeaseExpiresAt = reply.Deadline };
        return true;
    }

    // Ends a reply for good: its status, reason and metadata; the text stays as it is.
    private StoredChatMessage Settle(MessageLocation location, ReplyState reply, ChatReplyStatus status, ChatReplyReason reason, string? detail, JsonElement? metadata)
    {
        var message = location.Session.Messages[location.Index];
        var settled = message with
        {
            Status = status,
            Reason = reason,
            ReasonDetail = detail,
            LeaseExpiresAt = null,
            Metadata = metadata?.Clone() ?? message.Metadata,
        };
        location.Session.Messages[location.Index] = settled;
        _replies.Remove(message.Id);
        Log(ChatChangeKind.ReplyEnded, location.Session.Session.UserId, settled.SessionId, settled.Sequence, settled.Id, status: status);
        return settled;
    }

    private StoredChatMessage Current(MessageLocation location) => Current(location.Session.Messages, location.Index);

    // A message as it reads now: a streaming reply whose lease expired is ended here, for good (stopped when a stop was
    // requested, else interrupted), so every read after this one agrees.
    private StoredChatMessage Current(List<StoredChatMessage> messages, int index)
    {
        var message = messages[index];
        if (message.Status != ChatReplyStatus.Streaming || !_replies.TryGetValue(message.Id, out var reply) || Now() < reply.Deadline)
        {
            return message;
        }

        return reply.StopRequestedAt is not null
            ? Settle(_messages[message.Id], reply, ChatReplyStatus.Stopped, ChatReplyReason.StopRequested, null, null)
            : Settle(_messages[message.Id], reply, ChatReplyStatus.Interrupted, ChatReplyReason.LeaseExpired, "The writer made no progress for the reply's lease.", null);
    }

    private static bool SameMessage(StoredChatMessage stored, NewChatMessage message) =>
        stored.Role == message.Role
        && string.Equals(stored.Content, message.Content, StringComparison.Ordinal)
        && JsonElement.DeepEquals(stored.Metadata, message.Metadata ?? EmptyObject);

    private static int LowerBound(List<StoredChatMessage> list, long sequence)
    {
        int lo = 0, hi = list.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (list[mid].Sequence < sequence)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private DateTimeOffset Now() => TruncateToMicroseconds(_time.GetUtcNow());

    // updated_at never goes backwards and always moves on a write, even when the clock has not ticked.
    private DateTimeOffset Later(DateTimeOffset previous)
    {
        var now = Now();
        return now > previous ? now : previous.AddTicks(10);
    }

    private SessionState? Find(string userId, Guid sessionId) =>
        _sessions.TryGetValue(sessionId, out var state) && state.Session.UserId == userId ? state : null;

    private void Remove(SessionState state)
    {
        foreach (var message in state.Messages)
        {
            _messages.Remove(message.Id);
            _replies.Remove(message.Id);
        }

        _sessions.Remove(state.Session.Id);
        _byKey.Remove((state.Session.UserId, state.Session.WorkflowId));
        Log(ChatChangeKind.SessionDeleted, state.Session.UserId, state.Session.Id);
    }

    /// <inheritdoc />
    public IAsyncEnumerable<ChatChange> WatchAsync(string userId, Guid? sessionId = null, long? afterPosition = null, CancellationToken cancellationToken = default)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        if (sessionId is { } id)
        {
            InputValidator.NotEmpty(id, nameof(sessionId));
        }

        return _feed.WatchAsync(userId, sessionId, afterPosition, ReplayAsync, cancellationToken);
    }

    private Task<IReadOnlyList<ChatChange>> ReplayAsync(string userId, Guid? sessionId, long afterPosition, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            IReadOnlyList<ChatChange> rows = _changeLog
                .Where(c => c.Position > afterPosition && c.UserId == userId && (sessionId is null || c.SessionId == sessionId))
                .ToArray();
            return Task.FromResult(rows);
        }
    }

    // Called under _gate: positions follow the order of the writes, and watchers get changes in that order.
    private void Log(ChatChangeKind kind, string userId, Guid sessionId, long? sequence = null, Guid? messageId = null, bool? isFavorite = null, ChatReplyStatus? status = null)
    {
        var change = new ChatChange
        {
            Position = ++_position,
            Kind = kind,
            UserId = userId,
            SessionId = sessionId,
            Sequence = sequence,
            MessageId = messageId,
            IsFavorite = isFavorite,
            Status = status,
        };
        if (_changeLog.Count == ChangeLogCapacity)
        {
            _changeLog.Dequeue();
        }

        _changeLog.Enqueue(change);
        _feed.Publish(change);
    }

    private sealed class SessionState(ChatSession session)
    {
        public ChatSession Session { get; set; } = session;

        public List<StoredChatMessage> Messages { get; } = [];
    }

    private readonly record struct MessageLocation(SessionState Session, int Index);

    private sealed class ReplyState(SessionState session, TimeSpan lease, DateTimeOffset begun)
    {
        public SessionState Session { get; } = session;

        public StringBuilder Text { get; } = new();

        public long Utf8Bytes { get; set; }

        public DateTimeOffset LastProgress { get; set; } = begun;

        public DateTimeOffset? StopRequestedAt { get; set; }

        // Progress renews the lease; a stop request caps it at the grace period.
        public DateTimeOffset Deadline => StopRequestedAt is { } stop
            ? Min(LastProgress + lease, stop + ChatPersistenceLimits.StopGrace)
            : LastProgress + lease;

        private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;
    }
}
