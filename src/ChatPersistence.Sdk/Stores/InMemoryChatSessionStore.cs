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
    public override ChatStoreCapabilities Capabilities { get; } = new() { Replies = true, Branches = true, ReplyFlushInterval = TimeSpan.FromMilliseconds(50) };

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

            // Check the whole batch before writing anything: all or nothing. Parents resolve to a stored message's index,
            // -1 for a root, or NewInBatch(j) for the j-th element of this batch when it is new.
            var result = new StoredChatMessage?[messages.Count];
            var parents = new int[messages.Count];
            var newChildren = new Dictionary<int, int>();
            for (var i = 0; i < messages.Count; i++)
            {
                var message = messages[i];
                var parent = ResolveParent(state, message.ParentId, messages, parents, result, i);
                if (_messages.TryGetValue(message.Id, out var existing))
                {
                    var stored = Current(existing);
                    if (existing.Session != state || !SameMessage(stored, message))
                    {
                        throw ChatConflictException.ForMessage(message.Id);
                    }

                    result[i] = stored;
                    parents[i] = existing.Index;
                    continue;
                }

                var count = newChildren.GetValueOrDefault(parent) + 1;
                if ((parent >= -1 ? state.Tree.ChildCount(parent) : 0) + count > Options.MaxVersions)
                {
                    throw TooManyVersions(message.Id);
                }

                newChildren[parent] = count;
                parents[i] = parent;
            }

            var now = Now();
            var oldLeaf = state.Tree.Leaf;
            var fork = -2;
            StoredChatMessage? last = null;
            for (var i = 0; i < messages.Count; i++)
            {
                if (result[i] is not null)
                {
                    continue;
                }

                var message = messages[i];
                var parent = parents[i] < -1 ? parents[-parents[i] - 2] : parents[i];
                var stored = new StoredChatMessage
                {
                    Id = message.Id,
                    SessionId = sessionId,
                    Sequence = ++_sequence,
                    Role = message.Role,
                    Content = message.Content,
                    Metadata = message.Metadata?.Clone() ?? EmptyObject,
                    CreatedAt = message.CreatedAt ?? now,
                    ParentId = parent < 0 ? null : state.Messages[parent].Id,
                };
                parents[i] = state.Messages.Count;
                fork = Fork(fork, state.Tree.Add(parent), oldLeaf);
                _messages.Add(stored.Id, new MessageLocation(state, state.Messages.Count));
                state.Messages.Add(stored);
                result[i] = last = stored;
            }

            if (last is not null)
            {
                state.Session = state.Session with
                {
                    UpdatedAt = Later(state.Session.UpdatedAt),
                    MessageCount = state.Messages.Count,
                    LastMessageAt = last.CreatedAt,
                    ActiveLeafId = ActiveLeaf(state),
                };
                LogPathChange(state, fork);
                Log(ChatChangeKind.MessagesAppended, userId, sessionId, state.Messages[^1].Sequence);
            }

            return Task.FromResult<IReadOnlyList<StoredChatMessage>>(result!);
        }
    }

    /// <inheritdoc />
    protected override Task<ChatHistorySlice> ReadHistoryCoreAsync(string userId, Guid sessionId, long? boundary, bool older, int limit, CancellationToken cancellationToken) =>
        ReadPathCoreAsync(userId, sessionId, null, false, boundary, older, limit, cancellationToken);

    /// <inheritdoc />
    protected override Task<ChatHistorySlice> ReadPathCoreAsync(string userId, Guid sessionId, Guid? leafId, bool allBranches, long? boundary, bool older, int limit, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var state = Find(userId, sessionId) ?? throw ChatNotFoundException.ForSession(sessionId);
            var list = state.Messages;
            IReadOnlyList<int>? path = null;
            if (leafId is { } leaf)
            {
                path = _messages.TryGetValue(leaf, out var location) && location.Session == state
                    ? state.Tree.PathTo(location.Index)
                    : throw ChatNotFoundException.ForMessage(leaf);
            }
            else if (!allBranches)
            {
                path = state.Tree.ActivePath;
            }

            var count = path?.Count ?? list.Count;
            int At(int k) => path is null ? k : path[k];

            // Position of the first message with a sequence >= boundary (the path is in ascending sequence order).
            var split = boundary is { } b ? LowerBound(count, k => list[At(k)].Sequence, b) : (older ? count : 0);

            var rows = new List<StoredChatMessage>(Math.Min(limit, count));
            var siblings = new List<ChatSiblingPosition>();
            void Take(int k)
            {
                var index = At(k);
                rows.Add(Current(list, index));
                var parent = state.Tree.Parent(index);
                var versions = state.Tree.ChildCount(parent);
                if (versions > 1)
                {
                    siblings.Add(new ChatSiblingPosition(list[index].Id, IndexOf(state.Tree.Children(parent), index), versions));
                }
            }

            bool beyond;
            if (older)
            {
                for (var k = split - 1; k >= 0 && rows.Count < limit; k--)
                {
                    Take(k);
                }

                beyond = boundary is not null && split < count;
            }
            else
            {
                var from = split < count && boundary is { } bb && list[At(split)].Sequence == bb ? split + 1 : split;
                for (var k = from; k < count && rows.Count < limit; k++)
                {
                    Take(k);
                }

                beyond = boundary is not null && from > 0;
            }

            return Task.FromResult(new ChatHistorySlice(rows, beyond) { Siblings = siblings });
        }
    }

    /// <inheritdoc />
    protected override Task<ChatSiblings> GetSiblingsCoreAsync(string userId, Guid messageId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var location = Locate(userId, messageId);
            var tree = location.Session.Tree;
            var list = location.Session.Messages;
            var parent = tree.Parent(location.Index);
            var children = tree.Children(parent);
            var versions = new ChatSibling[children.Count];
            var active = -1;
            for (var i = 0; i < versions.Length; i++)
            {
                var message = Current(list, children[i]);
                versions[i] = new ChatSibling(message.Id, message.Sequence, message.Role, message.CreatedAt, message.Status);
                if (tree.IsOnActivePath(children[i]))
                {
                    active = i;
                }
            }

            return Task.FromResult(new ChatSiblings
            {
                SessionId = location.Session.Session.Id,
                ParentId = parent < 0 ? null : list[parent].Id,
                Versions = versions,
                Index = IndexOf(children, location.Index),
                ActiveIndex = active,
            });
        }
    }

    /// <inheritdoc />
    protected override Task<ChatActivePath> SwitchBranchCoreAsync(string userId, Guid sessionId, Guid messageId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var state = Find(userId, sessionId) ?? throw ChatNotFoundException.ForSession(sessionId);
            if (!_messages.TryGetValue(messageId, out var location) || location.Session != state)
            {
                throw ChatNotFoundException.ForMessage(messageId);
            }

            var oldLeaf = state.Tree.Leaf;
            var fork = state.Tree.SwitchTo(location.Index);
            var leaf = state.Messages[state.Tree.Leaf];
            if (fork == -2)
            {
                return Task.FromResult(new ChatActivePath
                {
                    SessionId = sessionId,
                    LeafId = leaf.Id,
                    LeafSequence = leaf.Sequence,
                    ForkSequence = leaf.Sequence,
                    Changed = false,
                });
            }

            state.Session = state.Session with { ActiveLeafId = leaf.Id };
            LogPathChange(state, Fork(-2, fork, oldLeaf));
            return Task.FromResult(new ChatActivePath
            {
                SessionId = sessionId,
                LeafId = leaf.Id,
                LeafSequence = leaf.Sequence,
                ForkSequence = fork < 0 ? null : state.Messages[fork].Sequence,
                Changed = true,
            });
        }
    }

    // The parent an element of a batch names or implies, checked: a stored message of the session (its index), -1 for a
    // root, or NewInBatch for an earlier element of the batch that is new.
    private int ResolveParent(SessionState state, Guid? parentId, IReadOnlyList<NewChatMessage> batch, int[] resolved, StoredChatMessage?[] existing, int i)
    {
        if (parentId is null)
        {
            return i == 0 ? state.Tree.Leaf : existing[i - 1] is not null ? resolved[i - 1] : NewInBatch(i - 1);
        }

        if (parentId == NewChatMessage.RootParent)
        {
            return -1;
        }

        for (var j = 0; j < i; j++)
        {
            if (batch[j].Id == parentId)
            {
                return existing[j] is not null ? resolved[j] : NewInBatch(j);
            }
        }

        return _messages.TryGetValue(parentId.Value, out var location) && location.Session == state
            ? location.Index
            : throw ChatNotFoundException.ForMessage(parentId.Value);
    }

    private static int NewInBatch(int element) => -element - 2;

    private static ChatConflictException TooManyVersions(Guid messageId) =>
        new($"Message '{messageId}' would exceed ChatPersistence:MaxVersions versions of the same message.") { MessageId = messageId };

    // Combines the fork of one more move of the leaf within a write into the fork of the whole write (-2: no change).
    private static int Fork(int sofar, int move, int oldLeaf) =>
        move == -2 ? sofar : Math.Min(sofar == -2 ? oldLeaf : sofar, move);

    private static int IndexOf(IReadOnlyList<int> list, int value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] == value)
            {
                return i;
            }
        }

        return -1;
    }

    private static Guid? ActiveLeaf(SessionState state) => state.Tree.Branched ? state.Messages[state.Tree.Leaf].Id : null;

    private void LogPathChange(SessionState state, int fork)
    {
        if (fork == -2)
        {
            return;
        }

        var leaf = state.Messages[state.Tree.Leaf];
        Log(ChatChangeKind.ActivePathChanged, state.Session.UserId, state.Session.Id, leaf.Sequence, leaf.Id, forkSequence: fork < 0 ? null : state.Messages[fork].Sequence);
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
            state.Tree = new MessageTree();
            state.Session = state.Session with { UpdatedAt = Later(state.Session.UpdatedAt), MessageCount = 0, LastMessageAt = null, ActiveLeafId = null };
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
        List<(StoredChatMessage Message, string WorkflowId, bool OnPath)> candidates;
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
                .SelectMany(s => Enumerable.Range(0, s.Messages.Count).Select(i => (Current(s.Messages, i), s.Session.WorkflowId, s.Tree.IsOnActivePath(i))))
                .Where(c => c.Item1.Status != ChatReplyStatus.Streaming)
                .ToList();
        }

        var hits = new List<ChatSearchHit>();
        foreach (var (message, workflowId, onPath) in candidates)
        {
            var words = TextSearch.Words(message.Content);
            if (TextSearch.Rank(words, terms) is not { } rank)
            {
                continue;
            }

            var (snippet, highlights) = TextSearch.Snippet(message.Content, words, terms);
            hits.Add(new ChatSearchHit { Message = message, WorkflowId = workflowId, Rank = rank, Snippet = snippet, Highlights = highlights, IsOnActivePath = onPath });
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
                return existing.Session == state && stored.Role == ChatMessageRole.Assistant && (reply.ParentId is null || reply.ParentId == stored.ParentId)
                    ? Task.FromResult(stored)
                    : throw ChatConflictException.ForMessage(reply.Id);
            }

            var parent = ResolveParent(state, reply.ParentId, [], [], [], 0);
            if (state.Tree.ChildCount(parent) + 1 > Options.MaxVersions)
            {
                throw TooManyVersions(reply.Id);
            }

            var oldLeaf = state.Tree.Leaf;
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
                ParentId = parent < 0 ? null : state.Messages[parent].Id,
            };
            var fork = Fork(-2, state.Tree.Add(parent), oldLeaf);
            _messages.Add(message.Id, new MessageLocation(state, state.Messages.Count));
            state.Messages.Add(message);
            _replies.Add(message.Id, replyState);
            state.Session = state.Session with { UpdatedAt = Later(state.Session.UpdatedAt), MessageCount = state.Messages.Count, LastMessageAt = now, ActiveLeafId = ActiveLeaf(state) };
            LogPathChange(state, fork);
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
        && JsonElement.DeepEquals(stored.Metadata, message.Metadata ?? EmptyObject)
        && (message.ParentId is not { } parent || (parent == NewChatMessage.RootParent ? stored.ParentId is null : stored.ParentId == parent));

    // The first position of an ascending run of sequences (count of them, read through sequenceAt) at or above sequence.
    private static int LowerBound(int count, Func<int, long> sequenceAt, long sequence)
    {
        int lo = 0, hi = count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (sequenceAt(mid) < sequence)
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
    private void Log(ChatChangeKind kind, string userId, Guid sessionId, long? sequence = null, Guid? messageId = null, bool? isFavorite = null, ChatReplyStatus? status = null, long? forkSequence = null)
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
            ForkSequence = forkSequence,
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

        public MessageTree Tree { get; set; } = new();
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
