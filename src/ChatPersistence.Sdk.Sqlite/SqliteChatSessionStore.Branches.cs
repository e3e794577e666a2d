using System.Globalization;
using System.Text.Json;
using ChatPersistence.Sdk.Sqlite.Internal;
using Microsoft.Data.Sqlite;

namespace ChatPersistence.Sdk.Sqlite;

// Branches (issue 27): the tree stored as runs (design note §1, §4.2). A session that never branched has no runs and reads,
// appends and pages exactly as before; a branched session's runs are read once per path_version into a SqliteRunTree, and a
// path is read as one range scan per piece on (session_id, seq).
public sealed partial class SqliteChatSessionStore
{
    private const string SessionPathSelect = "SELECT active_run, leaf_id, leaf_seq, coalesce(path_version, 0) FROM chat_sessions WHERE id = $id AND user_id = $user";

    /// <inheritdoc />
    protected override Task<ChatHistorySlice> ReadHistoryCoreAsync(string userId, Guid sessionId, long? boundary, bool older, int limit, CancellationToken cancellationToken) =>
        ReadPathCoreAsync(userId, sessionId, null, false, boundary, older, limit, cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// A session that never branched (and any read of all branches) is one range scan on <c>(session_id, seq)</c>, as a
    /// linear history always was. Along a path of a branched session, one range scan per piece of the path the page touches
    /// (usually one): the pieces come from the session's runs, held in memory.
    /// </remarks>
    protected override Task<ChatHistorySlice> ReadPathCoreAsync(string userId, Guid sessionId, Guid? leafId, bool allBranches, long? boundary, bool older, int limit, CancellationToken cancellationToken) =>
        ReadAsync(
            connection =>
            {
                using var transaction = connection.BeginTransaction(deferred: true);
                var session = Key(sessionId);
                var path = ReadSessionPath(connection, transaction, sessionId, userId) ?? throw ChatNotFoundException.ForSession(sessionId);
                var tree = path.Branched ? Tree(connection, transaction, sessionId, path.Version) : null;
                long? upper = null;
                List<SqliteRunTree.Piece>? pieces = null;
                if (leafId is { } leaf)
                {
                    using var find = Command(connection, transaction, "SELECT seq FROM chat_messages WHERE id = $id AND session_id = $session", ("$id", Key(leaf)), ("$session", session));
                    var leafSeq = find.ExecuteScalar() is { } found ? Convert.ToInt64(found, CultureInfo.InvariantCulture) : throw ChatNotFoundException.ForMessage(leaf);
                    if (tree is null)
                    {
                        upper = leafSeq;
                    }
                    else
                    {
                        pieces = tree.Path(leafSeq);
                    }
                }
                else if (!allBranches && tree is not null)
                {
                    pieces = tree.ActivePath(path.LeafSeq!.Value);
                }

                var rows = new List<StoredChatMessage>();
                var stored = new List<bool>();
                bool beyond;
                (Guid Id, long Seq)? before = null;
                if (pieces is null)
                {
                    // One range: today's page of a linear history (bounded by the leaf when one is named).
                    var filter = (boundary is null ? string.Empty : older ? " AND m.seq < $boundary" : " AND m.seq > $boundary") + (upper is null ? string.Empty : " AND m.seq <= $upper");
                    using (var command = Command(connection, transaction,
                        $"SELECT {PageColumns} FROM chat_messages m WHERE m.session_id = $session{filter} ORDER BY m.seq {(older ? "DESC" : "ASC")} LIMIT $limit",
                        ("$session", session), ("$boundary", boundary), ("$upper", upper), ("$limit", limit)))
                    {
                        ReadPageRows(command, rows, stored);
                    }

                    beyond = false;
                    if (boundary is not null)
                    {
                        if (older)
                        {
                            using var exists = Command(connection, transaction,
                                $"SELECT EXISTS (SELECT 1 FROM chat_messages WHERE session_id = $session AND seq >= $boundary{(upper is null ? string.Empty : " AND seq <= $upper")})",
                                ("$session", session), ("$boundary", boundary), ("$upper", upper));
                            beyond = Convert.ToInt64(exists.ExecuteScalar(), CultureInfo.InvariantCulture) != 0;
                        }
                        else
                        {
                            // The message at or before the boundary: whether there is one, and the parent of the page's first row.
                            before = Previous(connection, transaction, session, boundary.Value + 1);
                            beyond = before is not null;
                        }
                    }
                }
                else
                {
                    beyond = boundary is { } b && (older ? pieces[^1].To >= b : pieces[0].From <= b);
                    using var command = Command(connection, transaction,
                        $"SELECT {PageColumns} FROM chat_messages m WHERE m.session_id = $session AND m.seq BETWEEN $from AND $to ORDER BY m.seq {(older ? "DESC" : "ASC")} LIMIT $limit",
                        ("$session", session), ("$from", 0L), ("$to", 0L), ("$limit", 0));
                    // The piece holding the boundary (binary search: a deep page costs what the newest does), then on.
                    var startPiece = boundary is not { } b0 ? (older ? pieces.Count - 1 : 0)
                        : older ? Math.Min(pieces.Count - 1, SqliteRunTree.FirstEndingFrom(pieces, b0)) : SqliteRunTree.FirstEndingFrom(pieces, b0);
                    for (var k = startPiece; k >= 0 && k < pieces.Count && rows.Count < limit; k += older ? -1 : 1)
                    {
                        var from = pieces[k].From;
                        var to = pieces[k].To;
                        if (boundary is { } edge)
                        {
                            if (older)
                            {
                                to = Math.Min(to, edge - 1);
                            }
                            else
                            {
                                from = Math.Max(from, edge + 1);
                            }
                        }

                        if (from > to)
                        {
                            continue;
                        }

                        command.Parameters["$from"].Value = from;
                        command.Parameters["$to"].Value = to;
                        command.Parameters["$limit"].Value = limit - rows.Count;
                        ReadPageRows(command, rows, stored);
                    }

                    if (!older && beyond && rows.Count > 0 && !stored[0])
                    {
                        before = Previous(connection, transaction, session, rows[0].Sequence);
                    }
                }

                transaction.Commit();
                var siblings = LinkPage(rows, stored, older, before, tree);
                return new ChatHistorySlice(rows, beyond) { Siblings = siblings };
            },
            cancellationToken);

    /// <inheritdoc />
    protected override Task<ChatSiblings> GetSiblingsCoreAsync(string userId, Guid messageId, CancellationToken cancellationToken) =>
        ReadAsync(
            connection =>
            {
                using var transaction = connection.BeginTransaction(deferred: true);
                long seq;
                Guid sessionId;
                string? parentColumn;
                using (var find = Command(connection, transaction, "SELECT seq, session_id, parent_id FROM chat_messages WHERE id = $id AND user_id = $user", ("$id", Key(messageId)), ("$user", userId)))
                using (var reader = find.ExecuteReader())
                {
                    if (!reader.Read())
                    {
                        throw ChatNotFoundException.ForMessage(messageId);
                    }

                    seq = reader.GetInt64(0);
                    sessionId = Guid.Parse(reader.GetString(1));
                    parentColumn = reader.IsDBNull(2) ? null : reader.GetString(2);
                }

                var session = Key(sessionId);
                var path = ReadSessionPath(connection, transaction, sessionId, userId) ?? throw ChatNotFoundException.ForMessage(messageId);

                // The parent: stored on a run head ('' for a root), else the message before it.
                Guid? parentId;
                long? parentSeq;
                if (parentColumn is null)
                {
                    var previous = Previous(connection, transaction, session, seq);
                    parentId = previous?.Id;
                    parentSeq = previous?.Seq;
                }
                else if (parentColumn.Length == 0)
                {
                    parentId = null;
                    parentSeq = null;
                }
                else
                {
                    parentId = Guid.Parse(parentColumn);
                    using var parent = Command(connection, transaction, "SELECT seq FROM chat_messages WHERE id = $id", ("$id", parentColumn));
                    parentSeq = Convert.ToInt64(parent.ExecuteScalar(), CultureInfo.InvariantCulture);
                }

                // The versions: the parent's child in its own run (the message after it), then the heads of the runs under it.
                var versions = new List<long>();
                List<SqliteRunTree.Piece>? active = null;
                if (path.Branched)
                {
                    var tree = Tree(connection, transaction, sessionId, path.Version);
                    active = tree.ActivePath(path.LeafSeq!.Value);
                    if (parentSeq is { } p && (parentColumn is null || tree.End(tree.RunOf(p)) is not { } end || p < end))
                    {
                        versions.Add(parentColumn is null ? seq : Next(connection, transaction, session, p));
                    }

                    foreach (var run in tree.ChildRuns(parentSeq))
                    {
                        versions.Add(tree.Runs[run].Start);
                    }
                }
                else
                {
                    versions.Add(seq);
                }

                var rows = new Dictionary<long, StoredChatMessage>();
                using (var command = Command(connection, transaction,
                    $"SELECT {BaseColumns}, NULL FROM json_each($seqs) j JOIN chat_messages m ON m.seq = j.value", ("$seqs", JsonSerializer.Serialize(versions))))
                using (var reader = command.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        var message = ReadMessage(reader);
                        rows[message.Sequence] = message;
                    }
                }

                transaction.Commit();
                var siblings = versions.Select(v => rows[v]).Select(m => new ChatSibling(m.Id, m.Sequence, m.Role, m.CreatedAt, m.Status)).ToArray();
                return new ChatSiblings
                {
                    SessionId = sessionId,
                    ParentId = parentId,
                    Versions = siblings,
                    Index = versions.IndexOf(seq),
                    ActiveIndex = active is null ? 0 : versions.FindIndex(v => SqliteRunTree.Contains(active, v)),
                };
            },
            cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// Computed from the session's runs in memory (no scan of messages), then two row updates: the session (its leaf, its
    /// version, and the fork, which the change-feed trigger logs) and the run now holding the leaf (its activation stamp).
    /// </remarks>
    protected override async Task<ChatActivePath> SwitchBranchCoreAsync(string userId, Guid sessionId, Guid messageId, CancellationToken cancellationToken)
    {
        SqliteRunTree? built = null;
        var result = await WriteAsync(
            connection =>
            {
                var session = Key(sessionId);
                var path = ReadSessionPath(connection, null, sessionId, userId) ?? throw ChatNotFoundException.ForSession(sessionId);
                using var find = Command(connection, null, "SELECT seq FROM chat_messages WHERE id = $id AND session_id = $session", ("$id", Key(messageId)), ("$session", session));
                var seq = find.ExecuteScalar() is { } found ? Convert.ToInt64(found, CultureInfo.InvariantCulture) : throw ChatNotFoundException.ForMessage(messageId);
                if (!path.Branched)
                {
                    // One path: every message is on it.
                    var newest = Previous(connection, null, session, long.MaxValue)!.Value;
                    return new ChatActivePath { SessionId = sessionId, LeafId = newest.Id, LeafSequence = newest.Seq, ForkSequence = newest.Seq, Changed = false };
                }

                var tree = Tree(connection, null, sessionId, path.Version);
                var oldPath = tree.ActivePath(path.LeafSeq!.Value);
                if (SqliteRunTree.Contains(oldPath, seq))
                {
                    return new ChatActivePath { SessionId = sessionId, LeafId = path.LeafId!.Value, LeafSequence = path.LeafSeq.Value, ForkSequence = path.LeafSeq.Value, Changed = false };
                }

                var run = tree.LastActiveBeneath(seq);
                var leaf = tree.End(run) is { } end ? At(connection, session, end) : Previous(connection, null, session, long.MaxValue)!.Value;
                var version = path.Version + 1;
                var fork = SqliteRunTree.Fork(oldPath, tree.Path(leaf.Seq));
                using (var activate = Command(connection, null, "UPDATE chat_runs SET activated = $version WHERE session_id = $session AND start_seq = $start",
                    ("$version", version), ("$session", session), ("$start", tree.Runs[run].Start)))
                {
                    activate.ExecuteNonQuery();
                }

                using (var update = Command(connection, null,
                    "UPDATE chat_sessions SET active_run = $run, leaf_id = $leaf, leaf_seq = $seq, path_version = $version, fork_seq = $fork WHERE id = $session",
                    ("$run", tree.Runs[run].Start), ("$leaf", Key(leaf.Id)), ("$seq", leaf.Seq), ("$version", version), ("$fork", fork), ("$session", session)))
                {
                    update.ExecuteNonQuery();
                }

                built = tree.With(version, [], run);
                return new ChatActivePath { SessionId = sessionId, LeafId = leaf.Id, LeafSequence = leaf.Seq, ForkSequence = fork, Changed = true };
            },
            cancellationToken).ConfigureAwait(false);
        Remember(sessionId, built);
        return result;
    }

    private static SqliteSessionPath? ReadSessionPath(SqliteConnection connection, SqliteTransaction? transaction, Guid sessionId, string userId)
    {
        using var command = Command(connection, transaction, SessionPathSelect, ("$id", Key(sessionId)), ("$user", userId));
        using var reader = command.ExecuteReader();
        return reader.Read()
            ? new SqliteSessionPath(
                reader.IsDBNull(0) ? null : reader.GetInt64(0),
                reader.IsDBNull(1) ? null : Guid.Parse(reader.GetString(1)),
                reader.IsDBNull(2) ? null : reader.GetInt64(2),
                reader.GetInt64(3))
            : null;
    }

    /// <summary>The session's runs at <paramref name="version"/>: from the cache, or read (in the caller's transaction, which read that version).</summary>
    private SqliteRunTree Tree(SqliteConnection connection, SqliteTransaction? transaction, Guid sessionId, long version)
    {
        if (_trees.TryGetValue(sessionId, out var cached) && cached.Version == version)
        {
            return cached;
        }

        var runs = new List<SqliteRunTree.Run>();
        using (var command = Command(connection, transaction,
            "SELECT start_seq, head_id, parent_seq, prev_end, activated FROM chat_runs WHERE session_id = $session ORDER BY start_seq", ("$session", Key(sessionId))))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                runs.Add(new SqliteRunTree.Run(
                    reader.GetInt64(0),
                    Guid.Parse(reader.GetString(1)),
                    reader.IsDBNull(2) ? null : reader.GetInt64(2),
                    reader.IsDBNull(3) ? null : reader.GetInt64(3),
                    reader.GetInt64(4)));
            }
        }

        var tree = new SqliteRunTree(version, [.. runs]);
        Remember(sessionId, tree);
        return tree;
    }

    /// <summary>Caches a tree (the newest version wins; a version's runs never change, so any tree of it is right).</summary>
    private void Remember(Guid sessionId, SqliteRunTree? tree)
    {
        if (tree is null)
        {
            return;
        }

        if (_trees.Count >= MaxCachedTrees)
        {
            _trees.Clear();
        }

        _trees.AddOrUpdate(sessionId, tree, (_, old) => old.Version > tree.Version ? old : tree);
    }

    /// <summary>The session's message just before <paramref name="seq"/>, or <see langword="null"/>.</summary>
    private static (Guid Id, long Seq)? Previous(SqliteConnection connection, SqliteTransaction? transaction, string session, long seq)
    {
        using var command = Command(connection, transaction,
            "SELECT id, seq FROM chat_messages WHERE session_id = $session AND seq < $seq ORDER BY seq DESC LIMIT 1", ("$session", session), ("$seq", seq));
        using var reader = command.ExecuteReader();
        return reader.Read() ? (Guid.Parse(reader.GetString(0)), reader.GetInt64(1)) : null;
    }

    /// <summary>The session's message just after <paramref name="seq"/> (which exists).</summary>
    private static long Next(SqliteConnection connection, SqliteTransaction? transaction, string session, long seq)
    {
        using var command = Command(connection, transaction,
            "SELECT seq FROM chat_messages WHERE session_id = $session AND seq > $seq ORDER BY seq LIMIT 1", ("$session", session), ("$seq", seq));
        return Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>The message at <paramref name="seq"/> of the session (which exists).</summary>
    private static (Guid Id, long Seq) At(SqliteConnection connection, string session, long seq)
    {
        using var command = Command(connection, null, "SELECT id FROM chat_messages WHERE seq = $seq AND session_id = $session", ("$seq", seq), ("$session", session));
        return (Guid.Parse((string)command.ExecuteScalar()!), seq);
    }

    private void ReadPageRows(SqliteCommand command, List<StoredChatMessage> rows, List<bool> stored)
    {
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            rows.Add(ReadMessage(reader));
            stored.Add(!reader.IsDBNull(ParentColumn));
        }
    }

    /// <summary>
    /// Fills the parents a page's rows do not store (the row before on the path, which is the message before by seq) and,
    /// on a branched session, the versions of each row. <paramref name="before"/> is the message before the oldest row
    /// when the read was towards newer from a boundary.
    /// </summary>
    private static List<ChatSiblingPosition> LinkPage(List<StoredChatMessage> rows, List<bool> stored, bool older, (Guid Id, long Seq)? before, SqliteRunTree? tree)
    {
        var siblings = new List<ChatSiblingPosition>();
        var count = rows.Count;
        for (var a = 0; a < count; a++)
        {
            // a: position in ascending order.
            var at = older ? count - 1 - a : a;
            var row = rows[at];
            (Guid Id, long Seq)? previous = a > 0 ? (rows[older ? at + 1 : at - 1].Id, rows[older ? at + 1 : at - 1].Sequence) : before;
            if (!stored[at])
            {
                rows[at] = row = row with { ParentId = previous?.Id };
            }

            if (tree is null)
            {
                continue;
            }

            // Versions: the children of the row's parent.
            int index, versions;
            if (row.ParentId is null)
            {
                var roots = tree.ChildRuns(null);
                versions = roots.Count;
                index = IndexOfStart(tree, roots, row.Sequence);
            }
            else if (!stored[at])
            {
                if (previous is null)
                {
                    continue; // The extra row of a page read towards older: not returned.
                }

                versions = 1 + tree.ChildRunCount(previous.Value.Seq);
                index = 0;
            }
            else
            {
                var own = tree.RunOf(row.Sequence);
                var parentSeq = tree.Runs[own].ParentSeq!.Value;
                var children = tree.ChildRuns(parentSeq);
                var runChild = tree.End(tree.RunOf(parentSeq)) is not { } end || parentSeq < end ? 1 : 0;
                versions = runChild + children.Count;
                index = runChild + IndexOfStart(tree, children, row.Sequence);
            }

            if (versions > 1)
            {
                siblings.Add(new ChatSiblingPosition(row.Id, index, versions));
            }
        }

        return siblings;
    }

    private static int IndexOfStart(SqliteRunTree tree, IReadOnlyList<int> runs, long start)
    {
        for (var i = 0; i < runs.Count; i++)
        {
            if (tree.Runs[runs[i]].Start == start)
            {
                return i;
            }
        }

        return 0;
    }

    /// <summary>
    /// An append (or a begun reply) that needs the session's tree state: read once per write transaction (the session row,
    /// its newest message, its runs when it branched), then kept up to date as each message of the batch is placed.
    /// </summary>
    private sealed class AppendWork
    {
        private readonly SqliteChatSessionStore _store;
        private readonly SqliteConnection _connection;
        private readonly Guid _sessionId;
        private readonly string _session;
        private readonly (Guid Id, long Seq)? _oldLeaf;
        private readonly long _oldVersion;
        private SqliteRunTree? _tree;
        private (Guid Id, long Seq)? _newest;
        private (Guid Id, long Seq)? _leaf;
        private long? _activeRun;
        private long _version;
        private bool _changed;

        /// <summary>
        /// Reads the session's state; throws <see cref="ChatNotFoundException"/> when it is not the user's.
        /// <paramref name="firstInserted"/> and <paramref name="lastInserted"/>: the first and last of the messages this write
        /// already inserted under the leaf with the prepared statements (a prefix of the batch; the session row does not
        /// show them yet), or null.
        /// </summary>
        public AppendWork(SqliteChatSessionStore store, SqliteConnection connection, Guid sessionId, string userId, StoredChatMessage? firstInserted = null, StoredChatMessage? lastInserted = null)
        {
            _store = store;
            _connection = connection;
            _sessionId = sessionId;
            _session = Key(sessionId);
            var path = ReadSessionPath(connection, null, sessionId, userId) ?? throw ChatNotFoundException.ForSession(sessionId);
            _newest = Previous(connection, null, _session, long.MaxValue);
            _oldVersion = _version = path.Version;
            if (path.Branched)
            {
                _tree = store.Tree(connection, null, sessionId, path.Version);
                _leaf = (path.LeafId!.Value, path.LeafSeq!.Value);
                _activeRun = path.ActiveRun;
            }
            else
            {
                _leaf = _newest;
            }

            if (lastInserted is not null)
            {
                // Those messages continued the path: the old leaf is what was newest before the first of them.
                _oldLeaf = path.Branched ? _leaf : Previous(connection, null, _session, firstInserted!.Sequence);
                _leaf = (lastInserted.Id, lastInserted.Sequence);
            }
            else
            {
                _oldLeaf = _leaf;
            }
        }

        /// <summary>The runs after this write, when it changed them (to cache once committed).</summary>
        public SqliteRunTree? Built => _version != _oldVersion ? _tree : null;

        /// <summary>
        /// The parent of element <paramref name="i"/> (<see langword="null"/>: a root): the one it names (an earlier element of
        /// the batch, or a stored message of the session: else <see cref="ChatNotFoundException"/>), or the element before it,
        /// or for the first the active leaf.
        /// </summary>
        public (Guid Id, long Seq)? Resolve(Guid? parentId, int i, IReadOnlyList<NewChatMessage>? batch, StoredChatMessage[]? placed)
        {
            if (parentId is null)
            {
                return i == 0 ? _leaf : (placed![i - 1].Id, placed[i - 1].Sequence);
            }

            if (parentId == NewChatMessage.RootParent)
            {
                return null;
            }

            for (var j = 0; j < i; j++)
            {
                if (batch![j].Id == parentId)
                {
                    return (placed![j].Id, placed[j].Sequence);
                }
            }

            using var find = Command(_connection, null, "SELECT seq FROM chat_messages WHERE id = $id AND session_id = $session", ("$id", Key(parentId.Value)), ("$session", _session));
            return find.ExecuteScalar() is { } seq
                ? (parentId.Value, Convert.ToInt64(seq, CultureInfo.InvariantCulture))
                : throw ChatNotFoundException.ForMessage(parentId.Value);
        }

        /// <summary>The stored message with the id of <paramref name="message"/> when it is the same message (a retry), null when the id is new; otherwise a conflict.</summary>
        public StoredChatMessage? Existing(NewChatMessage message)
        {
            using var find = Command(_connection, null, $"SELECT {MessageColumns} FROM chat_messages m WHERE m.id = $id", ("$id", Key(message.Id)));
            using var reader = find.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }

            var stored = _store.ReadMessage(reader);
            if (stored.SessionId != _sessionId || stored.Role != message.Role || !string.Equals(stored.Content, message.Content, StringComparison.Ordinal)
                || !JsonElement.DeepEquals(stored.Metadata, message.Metadata ?? EmptyObject)
                || (message.ParentId is { } parent && (parent == NewChatMessage.RootParent ? stored.ParentId is not null : stored.ParentId != parent)))
            {
                // Throwing rolls the transaction back: nothing of the batch is written.
                throw ChatConflictException.ForMessage(message.Id);
            }

            return stored;
        }

        /// <summary>Throws <see cref="ChatConflictException"/> when one more child of <paramref name="parent"/> would exceed MaxVersions.</summary>
        public void CheckVersions((Guid Id, long Seq)? parent, Guid messageId)
        {
            int children;
            if (parent is not { } p)
            {
                children = _tree?.Roots ?? (_newest is null ? 0 : 1);
            }
            else
            {
                var runChild = _newest is { } n && (_tree is null ? p.Seq != n.Seq : _tree.HasRunChild(p.Seq, n.Seq));
                children = (runChild ? 1 : 0) + (_tree?.ChildRunCount(p.Seq) ?? 0);
            }

            if (children + 1 > _store.Options.MaxVersions)
            {
                throw new ChatConflictException($"Message '{messageId}' would exceed ChatPersistence:MaxVersions versions of the same message.") { MessageId = messageId };
            }
        }

        /// <summary>What the new message stores as its parent: nothing when it continues the run of the newest message, '' for a root, else the parent's id.</summary>
        public string? ParentColumn((Guid Id, long Seq)? parent) =>
            Continues(parent) ? null : parent is { } p ? Key(p.Id) : string.Empty;

        /// <summary>Records the message just inserted: a new run when it does not continue the newest message's, and the leaf.</summary>
        public void Added(long seq, Guid id, (Guid Id, long Seq)? parent)
        {
            if (!Continues(parent))
            {
                if (_tree is null)
                {
                    // The first branch: the session's one run gets its row.
                    var first = Next(_connection, null, _session, long.MinValue);
                    var head = At(_connection, _session, first);
                    var run0 = new SqliteRunTree.Run(first, head.Id, null, null, _version);
                    InsertRun(run0);
                    _tree = new SqliteRunTree(_version, [run0]);
                }

                _version++;
                var run = new SqliteRunTree.Run(seq, id, parent?.Seq, _newest!.Value.Seq, _version);
                InsertRun(run);
                _tree = _tree.With(_version, [run]);
                _activeRun = seq;
            }
            else if (_tree is not null && _activeRun != _tree.Runs[^1].Start)
            {
                // Continuing the last run from elsewhere: that run holds the leaf now.
                _version++;
                using (var activate = Command(_connection, null, "UPDATE chat_runs SET activated = $version WHERE session_id = $session AND start_seq = $start",
                    ("$version", _version), ("$session", _session), ("$start", _tree.Runs[^1].Start)))
                {
                    activate.ExecuteNonQuery();
                }

                _tree = _tree.With(_version, [], _tree.Runs.Count - 1);
                _activeRun = _tree.Runs[^1].Start;
            }

            _changed |= parent?.Seq != _leaf?.Seq;
            _leaf = _newest = (id, seq);
        }

        /// <summary>The session update of the write: its counters, and on a branched session its leaf (and the fork, logged by the feed's trigger, when the path changed).</summary>
        public void Finish(int inserted, long lastCreatedAt, long now)
        {
            var sql = new System.Text.StringBuilder("UPDATE chat_sessions SET message_count = message_count + $n, last_message_at = $last, updated_at = max(updated_at + 1, $now)");
            long? fork = null;
            if (_tree is not null)
            {
                sql.Append(", active_run = $run, leaf_id = $leaf, leaf_seq = $seq, path_version = $version");
                if (_changed)
                {
                    fork = _oldLeaf is { } old ? SqliteRunTree.Fork(_tree.Path(old.Seq), _tree.Path(_leaf!.Value.Seq)) : null;
                    sql.Append(", fork_seq = $fork");
                }
            }

            sql.Append(" WHERE id = $session");
            using var update = Command(_connection, null, sql.ToString(),
                ("$n", inserted), ("$last", lastCreatedAt), ("$now", now), ("$run", _activeRun), ("$leaf", _leaf is { } l ? Key(l.Id) : null), ("$seq", _leaf?.Seq),
                ("$version", _version), ("$fork", fork), ("$session", _session));
            update.ExecuteNonQuery();
        }

        private bool Continues((Guid Id, long Seq)? parent) =>
            parent is { } p ? _newest is { } n && n.Seq == p.Seq : _newest is null;

        private void InsertRun(SqliteRunTree.Run run)
        {
            using var insert = Command(_connection, null,
                "INSERT INTO chat_runs (session_id, start_seq, head_id, parent_seq, prev_end, activated) VALUES ($session, $start, $head, $parent, $end, $activated)",
                ("$session", _session), ("$start", run.Start), ("$head", Key(run.HeadId)), ("$parent", run.ParentSeq), ("$end", run.PreviousEnd), ("$activated", run.Activated));
            insert.ExecuteNonQuery();
        }
    }
}
