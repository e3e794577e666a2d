using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using ChatPersistence.Sdk.ChangeFeed;
using ChatPersistence.Sdk.Internal;
using ChatPersistence.Sdk.Sqlite.Internal;
using Microsoft.Data.Sqlite;

namespace ChatPersistence.Sdk.Sqlite;

/// <summary>
/// A durable store in one local SQLite file: WAL journal, foreign keys, FTS5 search, schema created and upgraded on first use.
/// Thread-safe; several processes may use the same file at once (writes take SQLite's write lock with <c>BEGIN IMMEDIATE</c>).
/// </summary>
/// <remarks>
/// Writes from one process are serialised by a gate per file, so concurrent writers queue instead of contending for SQLite's
/// lock; writers in other processes wait up to <see cref="SqliteChatStoreOptions.BusyTimeout"/>. Reads run concurrently.
/// The store is also its <see cref="IChatChangeFeed"/>: triggers log every change in the file; while anything is watched,
/// the store reads the log after each of its own writes and every <see cref="SqliteChatStoreOptions.ChangeFeedPollInterval"/>
/// for the writes of other processes.
/// Each store keeps one write connection open while it writes, with the append's statements prepared on it once, and closes
/// it after a few seconds without writes; reads use pooled connections.
/// Dispose the store (the service provider that created it does) to close its write connection, end its watches and stop
/// polling at once; calls after that throw <see cref="ObjectDisposedException"/>.
/// </remarks>
public sealed partial class SqliteChatSessionStore : ChatSessionStore, IChatChangeFeed, IAsyncDisposable, IDisposable
{
    private const string ChangeColumns = "position, kind, user_id, session_id, seq, message_id, is_favorite, reply_status, fork_seq";
    /// <summary>
    /// How many matches a search ranks together: the newest <c>SearchBlock</c> matches, best first, then the next older
    /// block, and so on. A query with up to this many matches is ranked as a whole.
    /// </summary>
    internal const int SearchBlock = 1000;

    /// <summary>
    /// From how many messages holding a word of the query the store computes bm25 itself, with the word's count estimated
    /// (<see cref="SqliteSearchRanking.CountCap"/>; tests lower it to reach that path with a few messages).
    /// </summary>
    internal int SearchCountCap { get; set; } = SqliteSearchRanking.CountCap;

    // A reply whose text is still in chunks reads as their concatenation (stored text, escaped chunk by chunk, which is the
    // escape of the whole), with the time of its last chunk for the lease: a few rows at most, each a range of the chunks' key.
    private const string BaseColumns =
        "m.seq, m.id, m.session_id, m.role, " +
        "CASE WHEN m.lease_ms IS NULL THEN m.content ELSE (SELECT coalesce(group_concat(c.text, '' ORDER BY c.key), '') FROM chat_reply_chunks c WHERE c.key BETWEEN m.seq * 16777216 AND m.seq * 16777216 + 16777215) END, " +
        "m.metadata, m.created_at, m.is_favorite, m.status, m.status_reason, m.reason_detail, m.lease_ms, m.touched_at, " +
        "CASE WHEN m.lease_ms IS NULL THEN NULL ELSE (SELECT max(c.written_at) FROM chat_reply_chunks c WHERE c.key BETWEEN m.seq * 16777216 AND m.seq * 16777216 + 16777215) END";

    // A message read on its own (favourites, search hits, write results): a parent not stored (null) is the message before it
    // in the session (one probe of the (session_id, seq) index); '' is a root.
    private const string MessageColumns = BaseColumns +
        ", CASE WHEN m.parent_id IS NULL THEN (SELECT p.id FROM chat_messages p WHERE p.session_id = m.session_id AND p.seq < m.seq ORDER BY p.seq DESC LIMIT 1) ELSE m.parent_id END";

    // Rows of a page: the parent as stored; the page fills a parent not stored from the row before it (LinkPage).
    private const string PageColumns = BaseColumns + ", m.parent_id";

    private const int MessageColumnCount = 15;

    // The parent column of MessageColumns and PageColumns.
    private const int ParentColumn = 14;

    // Trees cached per store instance (a few KB each, branched sessions only); the cache is emptied past this many.
    private const int MaxCachedTrees = 10_000;

    // The keys of one reply's chunks (the SQL below spells it out: 16777216 and 16777215).
    private const long ChunkKeySpan = 1L << 24;

    // A message's reply state and its last chunk (found by the chunks' key, backwards), without the chunks' text.
    private const string ReplyRowSelect =
        "SELECT m.seq, m.content, m.status, m.status_reason, m.reason_detail, m.lease_ms, m.touched_at, " +
        "coalesce(c.key - m.seq * 16777216 + c.length, 0), coalesce(c.utf8_end, 0), c.written_at, m.id, m.session_id " +
        "FROM chat_messages m LEFT JOIN chat_reply_chunks c " +
        "ON c.key = (SELECT max(x.key) FROM chat_reply_chunks x WHERE x.key BETWEEN m.seq * 16777216 AND m.seq * 16777216 + 16777215)";
    private const string SessionColumns = "id, user_id, workflow_id, title, created_at, updated_at, message_count, last_message_at, leaf_id";
    private static readonly TimeSpan WriterIdleTimeout = TimeSpan.FromSeconds(10);
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> WriteGates = new(StringComparer.Ordinal);
    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writeGate;
    private readonly SqliteWriter _writer;
    private readonly TimeProvider _time;
    private readonly Lazy<bool> _schema;
    private readonly ChangeFeedHub _feed = new();
    private readonly ConcurrentDictionary<Guid, SqliteRunTree> _trees = new();
    private readonly Lock _pollGate = new();
    private readonly System.Threading.Channels.Channel<bool> _pollSignal = System.Threading.Channels.Channel.CreateBounded<bool>(
        new System.Threading.Channels.BoundedChannelOptions(1) { FullMode = System.Threading.Channels.BoundedChannelFullMode.DropWrite });
    private readonly TimeSpan _pollInterval;
    private readonly TimeSpan _changeRetention;
    private readonly CancellationTokenSource _disposing = new();
    private bool _polling;
    private long _lastPosition;
    private int _disposed;

    /// <summary>Creates a store over the file or connection string in <paramref name="storeOptions"/>.</summary>
    /// <param name="storeOptions">Where the file is; <see langword="null"/> uses <see cref="SqliteChatStoreOptions.DefaultPath"/>.</param>
    /// <param name="options">The shared input limits; <see langword="null"/> uses the defaults.</param>
    /// <param name="timeProvider">The clock for timestamps; <see langword="null"/> uses <see cref="TimeProvider.System"/>.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public SqliteChatSessionStore(SqliteChatStoreOptions? storeOptions = null, ChatPersistenceOptions? options = null, TimeProvider? timeProvider = null)
        : base(options)
    {
        storeOptions ??= new SqliteChatStoreOptions();
        var builder = string.IsNullOrWhiteSpace(storeOptions.ConnectionString)
            ? new SqliteConnectionStringBuilder { DataSource = storeOptions.Path is { Length: > 0 } path ? path : SqliteChatStoreOptions.DefaultPath }
            : new SqliteConnectionStringBuilder(storeOptions.ConnectionString);
        builder.ForeignKeys = true;
        builder.Pooling = true;
        builder.DefaultTimeout = Math.Max(1, (int)Math.Ceiling(storeOptions.BusyTimeout.TotalSeconds));
        if (builder.Mode != SqliteOpenMode.Memory && !string.IsNullOrEmpty(builder.DataSource) && builder.DataSource != ":memory:")
        {
            builder.DataSource = System.IO.Path.GetFullPath(builder.DataSource);
        }

        DatabasePath = builder.DataSource;
        _connectionString = builder.ToString();
        _writeGate = WriteGates.GetOrAdd(DatabasePath, _ => new SemaphoreSlim(1, 1));
        _writer = new SqliteWriter(Open, _writeGate, WriterIdleTimeout);
        _time = timeProvider ?? TimeProvider.System;
        _schema = new Lazy<bool>(CreateSchema, LazyThreadSafetyMode.ExecutionAndPublication);
        _pollInterval = storeOptions.ChangeFeedPollInterval > TimeSpan.Zero ? storeOptions.ChangeFeedPollInterval
            : throw new ArgumentException("ChangeFeedPollInterval must be positive.", nameof(storeOptions));
        _changeRetention = storeOptions.ChangeRetention;
        _feed.FirstWatcher = StartPolling;
    }

    /// <summary>Called with every connection the store opens, once open (tests trace the statements the store runs).</summary>
    internal Action<SqliteConnection>? ConnectionOpened { get; set; }

    /// <summary>The full path of the database file.</summary>
    public string DatabasePath { get; }

    /// <inheritdoc />
    /// <remarks>
    /// Replies are kept while they are written. A writer should flush at most every 2 seconds: every SQLite commit writes at
    /// least one whole page (4 KiB) to the WAL however short the text, so flushing as often as a network store would (200 ms)
    /// writes 6.9× the WAL bytes of one insert of the finished message for a 25-second answer, and 2.2× at 2 s (measured:
    /// docs/performance.md). Other processes on the file see the text at most that late.
    /// </remarks>
    public override ChatStoreCapabilities Capabilities { get; } = new() { Replies = true, Branches = true, ReplyFlushInterval = TimeSpan.FromSeconds(2) };

    /// <summary>
    /// Ends every watch, stops polling the change log and closes the write connection (waiting for a write in progress to
    /// finish). Idempotent; other stores on the same file are not affected.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _disposing.Cancel();
        _feed.Complete();
        _writeGate.Wait();
        try
        {
            _writer.Reset();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <inheritdoc cref="Dispose" />
    /// <returns>A task that completes when the store is disposed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        await _disposing.CancelAsync().ConfigureAwait(false);
        _feed.Complete();
        await _writeGate.WaitAsync().ConfigureAwait(false);
        try
        {
            _writer.Reset();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <inheritdoc />
    protected override async Task<ChatSession> GetOrCreateSessionCoreAsync(string userId, string workflowId, string? title, CancellationToken cancellationToken)
    {
        var existing = await ReadAsync(
            connection => QuerySession(connection, null, "user_id = $user AND workflow_id = $workflow", ("$user", userId), ("$workflow", workflowId)),
            cancellationToken).ConfigureAwait(false);
        if (existing is not null)
        {
            return existing;
        }

        return await WriteAsync(
            connection =>
            {
                var now = Now();
                using (var insert = Command(connection, null,
                    "INSERT INTO chat_sessions (id, user_id, workflow_id, title, created_at, updated_at) VALUES ($id, $user, $workflow, $title, $now, $now) ON CONFLICT (user_id, workflow_id) DO NOTHING",
                    ("$id", Guid.CreateVersion7().ToString()), ("$user", userId), ("$workflow", workflowId), ("$title", title), ("$now", now)))
                {
                    insert.ExecuteNonQuery();
                }

                return QuerySession(connection, null, "user_id = $user AND workflow_id = $workflow", ("$user", userId), ("$workflow", workflowId))!;
            },
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override Task<ChatSession?> GetSessionCoreAsync(string userId, Guid sessionId, CancellationToken cancellationToken) =>
        ReadAsync(connection => QuerySession(connection, null, "id = $id AND user_id = $user", ("$id", Key(sessionId)), ("$user", userId)), cancellationToken);

    /// <inheritdoc />
    protected override Task<IReadOnlyList<ChatSession>> ListSessionsCoreAsync(string userId, DateTimeOffset? afterUpdatedAt, Guid? afterId, int limit, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<ChatSession>>(
            connection =>
            {
                var keyset = afterUpdatedAt is null ? string.Empty : "AND (updated_at < $at OR (updated_at = $at AND id < $after))";
                using var command = Command(connection, null,
                    $"SELECT {SessionColumns} FROM chat_sessions WHERE user_id = $user {keyset} ORDER BY updated_at DESC, id DESC LIMIT $limit",
                    ("$user", userId), ("$at", afterUpdatedAt is { } at ? ChatTime.ToUnixMicroseconds(at) : null), ("$after", afterId is { } id ? Key(id) : null), ("$limit", limit));
                using var reader = command.ExecuteReader();
                var sessions = new List<ChatSession>();
                while (reader.Read())
                {
                    sessions.Add(ReadSession(reader));
                }

                return sessions;
            },
            cancellationToken);

    /// <inheritdoc />
    protected override Task<ChatSession> RenameSessionCoreAsync(string userId, Guid sessionId, string? title, CancellationToken cancellationToken) =>
        WriteAsync(
            connection =>
            {
                using var update = Command(connection, null,
                    "UPDATE chat_sessions SET title = $title, updated_at = max(updated_at + 1, $now) WHERE id = $id AND user_id = $user",
                    ("$title", title), ("$now", Now()), ("$id", Key(sessionId)), ("$user", userId));
                if (update.ExecuteNonQuery() == 0)
                {
                    throw ChatNotFoundException.ForSession(sessionId);
                }

                return QuerySession(connection, null, "id = $id", ("$id", Key(sessionId)))!;
            },
            cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// Without named parents, to a session whose active leaf is its newest message (every session that never branched):
    /// one transaction of prepared statements, per message one <c>INSERT … SELECT</c> that checks the session's owner (and
    /// the leaf) and skips a stored id, then one session update — as before branches existed. Anything else (a named parent, a branched session, a retry) goes on with
    /// the session's tree state read once (<see cref="AppendWork"/>): a message under the session's newest message continues
    /// its run (its parent is not stored); any other parent starts a run (a row of <c>chat_runs</c>).
    /// </remarks>
    protected override async Task<IReadOnlyList<StoredChatMessage>> AppendMessagesCoreAsync(string userId, Guid sessionId, IReadOnlyList<NewChatMessage> messages, CancellationToken cancellationToken)
    {
        SqliteRunTree? built = null;
        var stored = await WriteAsync<IReadOnlyList<StoredChatMessage>>(
            connection =>
            {
                var session = Key(sessionId);
                var now = Now();
                var insert = _writer.InsertMessage();
                var values = insert.Parameters;
                values[SqliteWriter.InsertSession].Value = session;
                values[SqliteWriter.InsertUser].Value = userId;
                var result = new StoredChatMessage[messages.Count];
                var inserted = 0;
                long lastCreatedAt = 0;
                AppendWork? work = null;
                var previousNew = true;
                for (var i = 0; i < messages.Count; i++)
                {
                    var message = messages[i];
                    var createdAt = message.CreatedAt is { } at ? ChatTime.ToUnixMicroseconds(at) : now;
                    if (work is null && message.ParentId is null && previousNew)
                    {
                        values[SqliteWriter.InsertId].Value = Key(message.Id);
                        values[SqliteWriter.InsertRole].Value = message.Role.ToStorageName();
                        values[SqliteWriter.InsertContent].Value = message.Content;
                        values[SqliteWriter.InsertMetadata].Value = message.Metadata is { } m ? m.GetRawText() : "{}";
                        values[SqliteWriter.InsertCreated].Value = createdAt;
                        values[SqliteWriter.InsertFirst].Value = i == 0 ? 1 : 0;
                        using var reader = insert.ExecuteReader();
                        if (reader.Read())
                        {
                            result[i] = new StoredChatMessage
                            {
                                Id = message.Id,
                                SessionId = sessionId,
                                Sequence = reader.GetInt64(0),
                                Role = message.Role,
                                Content = message.Content,
                                Metadata = message.Metadata?.Clone() ?? EmptyObject,
                                CreatedAt = ChatTime.FromUnixMicroseconds(createdAt),
                                ParentId = i > 0 ? result[i - 1].Id : reader.IsDBNull(1) ? null : Guid.Parse(reader.GetString(1)),
                            };
                            inserted++;
                            lastCreatedAt = createdAt;
                            continue;
                        }
                    }

                    // No row (the session is not the caller's, it branched, or the id is stored), or a parent is named.
                    work ??= new AppendWork(this, connection, sessionId, userId, inserted > 0 ? result[0] : null, inserted > 0 ? result[inserted - 1] : null);
                    var parent = work.Resolve(message.ParentId, i, messages, result);
                    if (work.Existing(message) is { } existing)
                    {
                        result[i] = existing;
                        previousNew = false;
                        continue;
                    }

                    work.CheckVersions(parent, message.Id);
                    using (var add = Command(connection, null,
                        "INSERT INTO chat_messages (id, session_id, user_id, role, content, metadata, created_at, parent_id) VALUES ($id, $session, $user, $role, $content, $metadata, $created, $parent) RETURNING seq",
                        ("$id", Key(message.Id)), ("$session", session), ("$user", userId), ("$role", message.Role.ToStorageName()), ("$content", message.Content),
                        ("$metadata", message.Metadata is { } metadata ? metadata.GetRawText() : "{}"), ("$created", createdAt), ("$parent", work.ParentColumn(parent))))
                    {
                        var seq = Convert.ToInt64(add.ExecuteScalar(), CultureInfo.InvariantCulture);
                        work.Added(seq, message.Id, parent);
                        result[i] = new StoredChatMessage
                        {
                            Id = message.Id,
                            SessionId = sessionId,
                            Sequence = seq,
                            Role = message.Role,
                            Content = message.Content,
                            Metadata = message.Metadata?.Clone() ?? EmptyObject,
                            CreatedAt = ChatTime.FromUnixMicroseconds(createdAt),
                            ParentId = parent?.Id,
                        };
                    }

                    inserted++;
                    lastCreatedAt = createdAt;
                    previousNew = true;
                }

                if (inserted > 0)
                {
                    if (work is null)
                    {
                        var touch = _writer.TouchSession();
                        touch.Parameters[SqliteWriter.TouchCount].Value = inserted;
                        touch.Parameters[SqliteWriter.TouchLast].Value = lastCreatedAt;
                        touch.Parameters[SqliteWriter.TouchNow].Value = now;
                        touch.Parameters[SqliteWriter.TouchId].Value = session;
                        touch.Parameters[SqliteWriter.TouchLeaf].Value = Key(result[^1].Id);
                        touch.Parameters[SqliteWriter.TouchLeafSeq].Value = result[^1].Sequence;
                        touch.ExecuteNonQuery();
                    }
                    else
                    {
                        work.Finish(inserted, lastCreatedAt, now);
                        built = work.Built;
                    }
                }

                return result;
            },
            cancellationToken).ConfigureAwait(false);
        Remember(sessionId, built);
        return stored;
    }

    /// <inheritdoc />
    protected override Task<long> ClearSessionCoreAsync(string userId, Guid sessionId, CancellationToken cancellationToken) =>
        WriteAsync(
            connection =>
            {
                RequireSession(connection, null, sessionId, userId);
                using var delete = Command(connection, null, "DELETE FROM chat_messages WHERE session_id = $id", ("$id", Key(sessionId)));
                long deleted = delete.ExecuteNonQuery();

                // Every branch goes, and the tree state with it: the session is linear again (path_version is kept, so a run tree
                // cached for it never matches again).
                using var runs = Command(connection, null, "DELETE FROM chat_runs WHERE session_id = $id", ("$id", Key(sessionId)));
                runs.ExecuteNonQuery();
                using var touch = Command(connection, null,
                    "UPDATE chat_sessions SET message_count = 0, last_message_at = NULL, updated_at = max(updated_at + 1, $now), active_run = NULL, leaf_id = NULL, leaf_seq = NULL WHERE id = $id",
                    ("$now", Now()), ("$id", Key(sessionId)));
                touch.ExecuteNonQuery();
                return deleted;
            },
            cancellationToken);

    /// <inheritdoc />
    protected override Task<bool> DeleteSessionCoreAsync(string userId, Guid sessionId, CancellationToken cancellationToken) =>
        WriteAsync(
            connection =>
            {
                using var delete = Command(connection, null, "DELETE FROM chat_sessions WHERE id = $id AND user_id = $user", ("$id", Key(sessionId)), ("$user", userId));
                _trees.TryRemove(sessionId, out _);
                return delete.ExecuteNonQuery() > 0;
            },
            cancellationToken);

    /// <inheritdoc />
    protected override Task<IReadOnlyList<ChatSearchHit>> SearchCoreAsync(string userId, string query, Guid? sessionId, int offset, int limit, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<ChatSearchHit>>(
            connection =>
            {
                using var transaction = connection.BeginTransaction(deferred: true);
                if (sessionId is { } id)
                {
                    RequireSession(connection, transaction, id, userId);
                }

                // Bounded by the page asked for, however common the words: matches are read newest first straight from the
                // index (FTS5 walks its doclists by rowid, descending), in blocks of SearchBlock; only the blocks the page
                // falls in are scored (bm25) and sorted, best first then newest, and snippets are made for the page's rows
                // only. Up to SearchBlock matches this is the ranking of every match. FTS5's bm25 also counts, once per
                // query, the messages holding each word (its whole list in the index): when a word is in
                // SqliteSearchRanking.CountCap messages or more, the store computes the same bm25 for the block's rows
                // itself, with that word's count estimated, instead.
                var terms = TextSearch.ParseQuery(query);
                var match = MatchExpression(query);
                var firstBlock = offset / SearchBlock;
                var lastBlock = ((long)offset + limit - 1) / SearchBlock;
                var scope = sessionId is null ? string.Empty : "AND m.session_id = $session";
                object? session = sessionId is { } s ? Key(s) : null;
                if (CommonWordStatistics(connection, transaction, terms, SearchCountCap) is { } statistics)
                {
                    return SearchCommon(connection, transaction, terms, statistics, match, userId, scope, session, offset, limit);
                }

                using var command = Command(connection, transaction,
                    $"""
                    WITH candidates AS (
                        SELECT chat_messages_fts.rowid AS seq, bm25(chat_messages_fts) AS score
                        FROM chat_messages_fts CROSS JOIN chat_messages m ON m.seq = chat_messages_fts.rowid
                        WHERE chat_messages_fts MATCH $match AND m.user_id = $user {scope}
                        ORDER BY chat_messages_fts.rowid DESC
                        LIMIT $candidates OFFSET $skipped
                    ),
                    blocked AS (
                        SELECT seq, score, ($skipped + row_number() OVER (ORDER BY seq DESC) - 1) / $block AS block FROM candidates
                    ),
                    page AS (
                        SELECT seq, score, block FROM blocked ORDER BY block, score, seq DESC LIMIT $limit OFFSET $pageOffset
                    )
                    SELECT {MessageColumns}, s.workflow_id, page.score,
                           snippet(chat_messages_fts, 0, char(57344), char(57345), '…', 32) AS marked, s.active_run, s.leaf_seq, coalesce(s.path_version, 0)
                    FROM page
                    CROSS JOIN chat_messages_fts ON chat_messages_fts.rowid = page.seq
                    JOIN chat_messages m ON m.seq = page.seq
                    JOIN chat_sessions s ON s.id = m.session_id
                    WHERE chat_messages_fts MATCH $match
                    ORDER BY page.block, page.score, page.seq DESC
                    """,
                    ("$match", match), ("$user", userId), ("$session", session),
                    ("$candidates", (lastBlock - firstBlock + 1) * SearchBlock), ("$skipped", (long)firstBlock * SearchBlock), ("$block", SearchBlock),
                    ("$limit", limit), ("$pageOffset", offset - (firstBlock * SearchBlock)));
                return ReadHits(command, transaction, reader => reader.GetDouble(MessageColumnCount + 1));
            },
            cancellationToken);

    // The IDF of each word and the average token count of a message when some word is in cap messages or more (null
    // otherwise, and then FTS5's bm25 is cheap): each word's messages are counted newest first up to the cap, which costs
    // at most the cap.
    private static (double[] Idf, double AverageTokens)? CommonWordStatistics(SqliteConnection connection, SqliteTransaction transaction, IReadOnlyList<TextSearch.Term> terms, int cap)
    {
        var counts = new (long Count, long OldestRowid)[terms.Count];
        var common = false;
        using (var count = Command(connection, transaction,
            "SELECT count(*), coalesce(min(rowid), 0) FROM (SELECT rowid FROM chat_messages_fts WHERE chat_messages_fts MATCH $phrase ORDER BY rowid DESC LIMIT $cap)",
            ("$phrase", string.Empty), ("$cap", cap)))
        {
            for (var i = 0; i < terms.Count; i++)
            {
                count.Parameters["$phrase"].Value = Phrase(terms[i]);
                using var reader = count.ExecuteReader();
                _ = reader.Read();
                counts[i] = (reader.GetInt64(0), reader.GetInt64(1));
                common |= counts[i].Count >= cap;
            }
        }

        if (!common)
        {
            return null;
        }

        using var totals = Command(connection, transaction,
            """
            SELECT (SELECT min(id) FROM chat_messages_fts_docsize), (SELECT max(id) FROM chat_messages_fts_docsize),
                   (SELECT block FROM chat_messages_fts_data WHERE id = 1)
            """);
        using var row = totals.ExecuteReader();
        _ = row.Read();
        var at = 0;
        var averages = row.IsDBNull(2) ? [] : (byte[])row.GetValue(2);
        var rows = SqliteSearchRanking.ReadVarint(averages, ref at);
        if (rows <= 0)
        {
            return null; // No averages record (not expected once a word was counted): FTS5's bm25 ranks.
        }

        var idf = new double[terms.Count];
        for (var i = 0; i < terms.Count; i++)
        {
            idf[i] = SqliteSearchRanking.Idf(rows, SqliteSearchRanking.DocumentCount(counts[i].Count, cap, counts[i].OldestRowid, row.GetInt64(0), row.GetInt64(1), rows));
        }

        return (idf, (double)SqliteSearchRanking.ReadVarint(averages, ref at) / rows);
    }

    // The page of a query with a common word: the blocks' rows newest first with their token counts and occurrences
    // (highlight() markers), scored and sorted here as the bm25 query sorts them; then the page's rows with snippets.
    private List<ChatSearchHit> SearchCommon(
        SqliteConnection connection, SqliteTransaction transaction, IReadOnlyList<TextSearch.Term> terms, (double[] Idf, double AverageTokens) statistics, string match,
        string userId, string scope, object? session, int offset, int limit)
    {
        var firstBlock = offset / SearchBlock;
        var lastBlock = ((long)offset + limit - 1) / SearchBlock;
        var skipped = (long)firstBlock * SearchBlock;
        var scored = new List<(long Seq, long Block, double Score)>();
        Span<int> frequencies = terms.Count <= 64 ? stackalloc int[terms.Count] : new int[terms.Count];
        var size = new byte[9];
        using (var candidates = Command(connection, transaction,
            $"""
            SELECT chat_messages_fts.rowid, (SELECT sz FROM chat_messages_fts_docsize WHERE id = chat_messages_fts.rowid),
                   highlight(chat_messages_fts, 0, char(57344), char(57345))
            FROM chat_messages_fts CROSS JOIN chat_messages m ON m.seq = chat_messages_fts.rowid
            WHERE chat_messages_fts MATCH $match AND m.user_id = $user {scope}
            ORDER BY chat_messages_fts.rowid DESC
            LIMIT $candidates OFFSET $skipped
            """,
            ("$match", match), ("$user", userId), ("$session", session),
            ("$candidates", (lastBlock - firstBlock + 1) * SearchBlock), ("$skipped", skipped)))
        using (var reader = candidates.ExecuteReader())
        {
            while (reader.Read())
            {
                var at = 0;
                var length = (int)reader.GetBytes(1, 0, size, 0, size.Length);
                var tokens = SqliteSearchRanking.ReadVarint(size.AsSpan(0, length), ref at);
                SqliteSearchRanking.CountOccurrences(reader.GetString(2), terms, frequencies);
                scored.Add((reader.GetInt64(0), (skipped + scored.Count) / SearchBlock, SqliteSearchRanking.Bm25(statistics.Idf, frequencies, tokens, statistics.AverageTokens)));
            }
        }

        scored.Sort((a, b) => a.Block != b.Block ? a.Block.CompareTo(b.Block) : a.Score != b.Score ? a.Score.CompareTo(b.Score) : b.Seq.CompareTo(a.Seq));
        var page = scored.Skip(offset - (firstBlock * SearchBlock)).Take(limit).ToList();
        if (page.Count == 0)
        {
            return [];
        }

        using var command = Command(connection, transaction,
            $"""
            WITH page AS (SELECT value AS seq, key AS position FROM json_each($page))
            SELECT {MessageColumns}, s.workflow_id, page.position,
                   snippet(chat_messages_fts, 0, char(57344), char(57345), '…', 32) AS marked, s.active_run, s.leaf_seq, coalesce(s.path_version, 0)
            FROM page
            CROSS JOIN chat_messages_fts ON chat_messages_fts.rowid = page.seq
            JOIN chat_messages m ON m.seq = page.seq
            JOIN chat_sessions s ON s.id = m.session_id
            WHERE chat_messages_fts MATCH $match
            ORDER BY page.position
            """,
            ("$page", JsonSerializer.Serialize(page.Select(p => p.Seq))), ("$match", match));
        return ReadHits(command, transaction, reader => page[reader.GetInt32(MessageColumnCount + 1)].Score);
    }

    // A hit on a session that branched says whether it is on the active path (the session's runs, from the cache, in the
    // search's read transaction); every message of a session that never branched is.
    private List<ChatSearchHit> ReadHits(SqliteCommand command, SqliteTransaction transaction, Func<SqliteDataReader, double> score)
    {
        var hits = new List<ChatSearchHit>();
        var branched = new List<(int Hit, long Leaf, long Version)>();
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var (snippet, highlights) = HighlightMarkers.Parse(reader.GetString(MessageColumnCount + 2));
                if (!reader.IsDBNull(MessageColumnCount + 3))
                {
                    branched.Add((hits.Count, reader.GetInt64(MessageColumnCount + 4), reader.GetInt64(MessageColumnCount + 5)));
                }

                hits.Add(new ChatSearchHit
                {
                    Message = ReadMessage(reader),
                    WorkflowId = reader.GetString(MessageColumnCount),
                    Rank = -score(reader),
                    Snippet = snippet,
                    Highlights = highlights,
                });
            }
        }

        foreach (var (hit, leaf, version) in branched)
        {
            var message = hits[hit].Message;
            var path = Tree(command.Connection!, transaction, message.SessionId, version).ActivePath(leaf);
            hits[hit] = hits[hit] with { IsOnActivePath = SqliteRunTree.Contains(path, message.Sequence) };
        }

        return hits;
    }

    /// <inheritdoc />
    protected override Task<StoredChatMessage> SetFavoriteCoreAsync(string userId, Guid messageId, bool isFavorite, CancellationToken cancellationToken) =>
        WriteAsync(
            connection =>
            {
                using (var update = Command(connection, null,
                    "UPDATE chat_messages SET is_favorite = $favorite WHERE id = $id AND user_id = $user",
                    ("$favorite", isFavorite ? 1 : 0), ("$id", Key(messageId)), ("$user", userId)))
                {
                    if (update.ExecuteNonQuery() == 0)
                    {
                        throw ChatNotFoundException.ForMessage(messageId);
                    }
                }

                return QueryMessage(connection, null, messageId, userId)!;
            },
            cancellationToken);

    /// <inheritdoc />
    protected override Task<IReadOnlyList<StoredChatMessage>> ListFavoritesCoreAsync(string userId, Guid? sessionId, long? beforeSequence, int limit, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<StoredChatMessage>>(
            connection =>
            {
                using var transaction = connection.BeginTransaction(deferred: true);
                if (sessionId is { } id)
                {
                    RequireSession(connection, transaction, id, userId);
                }

                var filter = (sessionId is null ? string.Empty : " AND m.session_id = $session") + (beforeSequence is null ? string.Empty : " AND m.seq < $before");
                using var command = Command(connection, transaction,
                    $"SELECT {MessageColumns} FROM chat_messages m WHERE m.user_id = $user AND m.is_favorite = 1{filter} ORDER BY m.seq DESC LIMIT $limit",
                    ("$user", userId), ("$session", sessionId is { } s ? Key(s) : null), ("$before", beforeSequence), ("$limit", limit));
                using var reader = command.ExecuteReader();
                var rows = new List<StoredChatMessage>();
                while (reader.Read())
                {
                    rows.Add(ReadMessage(reader));
                }

                return rows;
            },
            cancellationToken);

    /// <inheritdoc />
    protected override Task<int> DeleteIdleSessionsCoreAsync(DateTimeOffset idleBefore, int maxSessions, CancellationToken cancellationToken) =>
        WriteAsync(
            connection =>
            {
                // Replies whose lease expired are settled here; a session with a live reply is kept, however idle it looks.
                var live = SettleEnded(connection, Now(), "1 = 1");
                using var delete = Command(connection, null,
                    "DELETE FROM chat_sessions WHERE id IN (SELECT id FROM chat_sessions WHERE updated_at < $cutoff AND id NOT IN (SELECT value FROM json_each($live)) ORDER BY updated_at, id LIMIT $max)",
                    ("$cutoff", ChatTime.ToUnixMicroseconds(idleBefore)), ("$live", JsonSerializer.Serialize(live)), ("$max", maxSessions));
                var deleted = delete.ExecuteNonQuery();
                using var prune = Command(connection, null,
                    "DELETE FROM chat_changes WHERE created_at < CAST(strftime('%s', 'now') AS INTEGER) - $keep",
                    ("$keep", (long)_changeRetention.TotalSeconds));
                prune.ExecuteNonQuery();
                return deleted;
            },
            cancellationToken);

    /// <inheritdoc />
    /// <remarks>
    /// Begin inserts the reply (empty content, status streaming) and bumps the session as an append does; it also settles the
    /// session's replies whose lease expired (their text compacted into their content).
    /// </remarks>
    protected override async Task<StoredChatMessage> BeginReplyCoreAsync(string userId, Guid sessionId, NewChatReply reply, TimeSpan lease, CancellationToken cancellationToken)
    {
        SqliteRunTree? built = null;
        var begun = await WriteAsync(
            connection =>
            {
                var work = new AppendWork(this, connection, sessionId, userId);
                using (var find = Command(connection, null, "SELECT session_id, role FROM chat_messages WHERE id = $id", ("$id", Key(reply.Id))))
                using (var reader = find.ExecuteReader())
                {
                    if (reader.Read())
                    {
                        // A retried begin returns the reply as it is now; the id used for anything else is a conflict.
                        var stored = reader.GetString(0) == Key(sessionId) && reader.GetString(1) == ChatMessageRole.Assistant.ToStorageName()
                            ? QueryMessage(connection, null, reply.Id, userId)
                            : null;
                        return stored is not null && (reply.ParentId is null || reply.ParentId == stored.ParentId)
                            ? stored
                            : throw ChatConflictException.ForMessage(reply.Id);
                    }
                }

                var parent = work.Resolve(reply.ParentId, 0, null, null);
                work.CheckVersions(parent, reply.Id);
                var now = Now();
                SettleEnded(connection, now, "m.session_id = $session", ("$session", Key(sessionId)));
                var leaseMs = (long)lease.TotalMilliseconds;
                using (var insert = Command(connection, null,
                    "INSERT INTO chat_messages (id, session_id, user_id, role, content, metadata, created_at, status, lease_ms, touched_at, parent_id) " +
                    "VALUES ($id, $session, $user, 'assistant', '', $metadata, $now, 1, $lease, $now, $parent) RETURNING seq",
                    ("$id", Key(reply.Id)), ("$session", Key(sessionId)), ("$user", userId), ("$metadata", reply.Metadata is { } m ? m.GetRawText() : "{}"), ("$now", now), ("$lease", leaseMs),
                    ("$parent", work.ParentColumn(parent))))
                {
                    work.Added(Convert.ToInt64(insert.ExecuteScalar(), CultureInfo.InvariantCulture), reply.Id, parent);
                }

                work.Finish(1, now, now);
                built = work.Built;
                return QueryMessage(connection, null, reply.Id, userId)!;
            },
            cancellationToken).ConfigureAwait(false);
        Remember(sessionId, built);
        return begun;
    }

    /// <inheritdoc />
    /// <remarks>
    /// An append is one insert into <c>chat_reply_chunks</c> (one B-tree leaf, usually the page the previous flush wrote): the
    /// message row and the session are not written, so a flush costs the same whatever the reply's length.
    /// </remarks>
    protected override Task<ChatReplyProgress> GrowReplyCoreAsync(string userId, Guid messageId, ChatTextChunk chunk, CancellationToken cancellationToken) =>
        WriteAsync(
            connection =>
            {
                var row = LoadReply(connection, null, messageId, userId) ?? throw ChatNotFoundException.ForMessage(messageId);
                var now = Now();
                var state = row.ReadsAs(now);
                if (!state.IsStreaming)
                {
                    if (row.IsOpen)
                    {
                        Settle(connection, messageId, row, state.Status, state.Reason, state.Detail, null);
                    }

                    return Ended(row, state.Status, state.Reason, now);
                }

                var outcome = WriteChunk(connection, messageId, row, chunk, now);
                if (outcome == ChunkOutcome.TooLarge)
                {
                    return Ended(row, ChatReplyStatus.Interrupted, ChatReplyReason.TooLarge, now);
                }

                var renewed = outcome != ChunkOutcome.Appended && !row.StopRequested;
                var deadline = SqliteReplyState.Deadline(renewed ? now : row.TouchedAt!.Value, outcome == ChunkOutcome.Appended ? now : row.LastWrittenAt, row.LeaseMs!.Value, row.StopRequested);
                return new ChatReplyProgress
                {
                    Length = outcome == ChunkOutcome.Appended ? row.Length + chunk.Length : row.Length,
                    LeaseExpiresAt = ChatTime.FromUnixMicroseconds(deadline),
                    StopRequested = row.StopRequested,
                };
            },
            cancellationToken);

    /// <inheritdoc />
    /// <remarks>Stores the tail, then compacts: the chunks are joined into the content in one update (indexed for search once) and deleted.</remarks>
    protected override Task<StoredChatMessage> FinishReplyCoreAsync(string userId, Guid messageId, ChatTextChunk tail, ChatReplyFinish finish, CancellationToken cancellationToken) =>
        WriteAsync(
            connection =>
            {
                var row = LoadReply(connection, null, messageId, userId) ?? throw ChatNotFoundException.ForMessage(messageId);
                if (row.IsOpen)
                {
                    var now = Now();
                    var state = row.ReadsAs(now);
                    if (!state.IsStreaming)
                    {
                        // Ended by its lease: it stays as every reader may already have seen it (the tail is not stored).
                        Settle(connection, messageId, row, state.Status, state.Reason, state.Detail, null);
                    }
                    else if (tail.Length == 0 || WriteChunk(connection, messageId, row, tail, now) != ChunkOutcome.TooLarge)
                    {
                        Settle(connection, messageId, row, finish.Status, finish.Reason, finish.ReasonDetail, finish.Metadata?.GetRawText());
                    }
                }

                // The first end wins: an ended reply (or an ordinary message) is returned as stored.
                return QueryMessage(connection, null, messageId, userId)!;
            },
            cancellationToken);

    /// <inheritdoc />
    protected override Task<StoredChatMessage> StopReplyCoreAsync(string userId, Guid messageId, CancellationToken cancellationToken) =>
        WriteAsync(
            connection =>
            {
                var row = LoadReply(connection, null, messageId, userId) ?? throw ChatNotFoundException.ForMessage(messageId);
                if (row.IsOpen)
                {
                    var now = Now();
                    var state = row.ReadsAs(now);
                    if (!state.IsStreaming)
                    {
                        Settle(connection, messageId, row, state.Status, state.Reason, state.Detail, null);
                    }
                    else if (!row.StopRequested)
                    {
                        // touched_at becomes the time of the request: the lease is capped at StopGrace after it.
                        using var stop = Command(connection, null, "UPDATE chat_messages SET status_reason = 1, touched_at = $now WHERE id = $id", ("$now", now), ("$id", Key(messageId)));
                        stop.ExecuteNonQuery();
                    }
                }

                return QueryMessage(connection, null, messageId, userId)!;
            },
            cancellationToken);

    /// <inheritdoc />
    /// <remarks>A streaming reply's text is read from the chunk holding <paramref name="offset"/> on, in one read transaction with its state.</remarks>
    protected override Task<ChatReplyText> ReadReplyCoreAsync(string userId, Guid messageId, long offset, CancellationToken cancellationToken) =>
        ReadAsync(
            connection =>
            {
                using var transaction = connection.BeginTransaction(deferred: true);
                var row = LoadReply(connection, transaction, messageId, userId) ?? throw ChatNotFoundException.ForMessage(messageId);
                var state = row.ReadsAs(Now());
                var start = 0L;
                var text = row.Content;
                var length = row.IsOpen ? row.Length : StoredText.Decode(row.Content).Length;
                if (row.IsOpen)
                {
                    using var chunks = Command(connection, transaction,
                        "SELECT key - $base, text FROM chat_reply_chunks WHERE key <= $base + 16777215 " +
                        "AND key >= coalesce((SELECT max(key) FROM chat_reply_chunks WHERE key BETWEEN $base AND $base + min($offset, 16777215)), $base) ORDER BY key",
                        ("$base", ChunkBase(row)), ("$offset", offset));
                    using var reader = chunks.ExecuteReader();
                    var builder = new StringBuilder();
                    while (reader.Read())
                    {
                        if (builder.Length == 0)
                        {
                            start = reader.GetInt64(0);
                        }

                        builder.Append(reader.GetString(1));
                    }

                    text = builder.ToString();
                }

                transaction.Commit();
                return new ChatReplyText
                {
                    MessageId = messageId,
                    Offset = start,
                    Text = text,
                    Length = length,
                    Status = state.Status,
                    Reason = state.Reason,
                    LeaseExpiresAt = state.LeaseExpiresAt,
                };
            },
            cancellationToken);

    private static ChatReplyProgress Ended(SqliteReplyRow row, ChatReplyStatus status, ChatReplyReason reason, long now) => new()
    {
        Length = row.IsOpen ? row.Length : StoredText.Decode(row.Content).Length,
        LeaseExpiresAt = ChatTime.FromUnixMicroseconds(now),
        Status = status,
        Reason = reason,
    };

    /// <summary>The user's message with its reply state and last chunk, or null when it does not exist or is not the user's.</summary>
    private static SqliteReplyRow? LoadReply(SqliteConnection connection, SqliteTransaction? transaction, Guid messageId, string userId)
    {
        using var command = Command(connection, transaction, ReplyRowSelect + " WHERE m.id = $id AND m.user_id = $user", ("$id", Key(messageId)), ("$user", userId));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadReplyRow(reader) : null;
    }

    /// <summary>
    /// The first key of a reply's chunks: a chunk's key is its message's sequence × 2^24 plus its offset (a reply holds fewer
    /// than <see cref="ChatPersistenceLimits.MaxContentBytesCeiling"/> = 2^24 UTF-16 units), so the chunks of one reply are one
    /// range of the table's rowid, in order, with no index to write.
    /// </summary>
    private static long ChunkBase(SqliteReplyRow row) => row.Sequence * ChunkKeySpan;

    private static SqliteReplyRow ReadReplyRow(SqliteDataReader reader) => new(
        reader.GetInt64(0),
        reader.GetString(1),
        reader.IsDBNull(2) ? null : reader.GetInt32(2),
        reader.IsDBNull(3) ? null : reader.GetInt32(3),
        reader.IsDBNull(4) ? null : reader.GetString(4),
        reader.IsDBNull(5) ? null : reader.GetInt64(5),
        reader.IsDBNull(6) ? null : reader.GetInt64(6),
        reader.GetInt64(7),
        reader.GetInt64(8),
        reader.IsDBNull(9) ? null : reader.GetInt64(9));

    /// <summary>
    /// Stores a chunk at its offset (see <see cref="IChatSessionStore.GrowReplyAsync"/>): appended at the end; a retry of text
    /// already there, or empty text, renews the lease (unless a stop was requested) and stores nothing; anything else is a
    /// conflict (the transaction rolls back). Over the size limit, nothing of it is stored and the reply is settled as
    /// interrupted (too large).
    /// </summary>
    private ChunkOutcome WriteChunk(SqliteConnection connection, Guid messageId, SqliteReplyRow row, ChatTextChunk chunk, long now)
    {
        if (chunk.Length > 0 && chunk.Offset == row.Length)
        {
            if (row.Utf8Bytes + chunk.Utf8Bytes > Options.MaxContentBytes)
            {
                Settle(connection, messageId, row, ChatReplyStatus.Interrupted, ChatReplyReason.TooLarge, $"The reply reached {Options.MaxContentBytes} UTF-8 bytes.", null);
                return ChunkOutcome.TooLarge;
            }

            using var insert = Command(connection, null,
                "INSERT INTO chat_reply_chunks (key, length, utf8_end, written_at, text) VALUES ($key, $length, $bytes, $now, $text)",
                ("$key", ChunkBase(row) + chunk.Offset), ("$length", chunk.Length), ("$bytes", row.Utf8Bytes + chunk.Utf8Bytes), ("$now", now), ("$text", chunk.StoredText));
            insert.ExecuteNonQuery();
            return ChunkOutcome.Appended;
        }

        if (chunk.Length > 0
            && (chunk.Offset + chunk.Length > row.Length
                || !string.Equals(StoredRange(connection, row, chunk.Offset, chunk.Length), StoredText.Decode(chunk.StoredText), StringComparison.Ordinal)))
        {
            throw new ChatConflictException($"Reply '{messageId}' holds {row.Length} characters; text at offset {chunk.Offset} would leave a gap or differs from what is stored there.")
            {
                MessageId = messageId,
            };
        }

        if (!row.StopRequested)
        {
            using var touch = Command(connection, null, "UPDATE chat_messages SET touched_at = $now WHERE id = $id", ("$now", now), ("$id", Key(messageId)));
            touch.ExecuteNonQuery();
        }

        return chunk.Length > 0 ? ChunkOutcome.Retried : ChunkOutcome.Heartbeat;
    }

    /// <summary>The stored text (as written, decoded) of <paramref name="length"/> units at <paramref name="offset"/>, within the stored length.</summary>
    private static string StoredRange(SqliteConnection connection, SqliteReplyRow row, long offset, int length)
    {
        using var command = Command(connection, null,
            "SELECT key - $base, text FROM chat_reply_chunks " +
            "WHERE key >= (SELECT max(key) FROM chat_reply_chunks WHERE key BETWEEN $base AND $base + $offset) AND key < $base + $end ORDER BY key",
            ("$base", ChunkBase(row)), ("$offset", offset), ("$end", offset + length));
        using var reader = command.ExecuteReader();
        var builder = new StringBuilder();
        var start = offset;
        while (reader.Read())
        {
            if (builder.Length == 0)
            {
                start = reader.GetInt64(0);
            }

            // Each chunk is a whole escape of its own text: decoded one by one, they are the text as written.
            builder.Append(StoredText.Decode(reader.GetString(1)));
        }

        var from = (int)(offset - start);
        return from >= 0 && from + length <= builder.Length ? builder.ToString(from, length) : string.Empty;
    }

    /// <summary>
    /// Ends a reply for good: its chunks joined into its content (one update, which the full-text trigger indexes once), its
    /// status, reason and metadata, then its chunks deleted. Status complete is stored as null, as every ordinary message.
    /// </summary>
    private static void Settle(SqliteConnection connection, Guid messageId, SqliteReplyRow row, ChatReplyStatus status, ChatReplyReason reason, string? detail, string? metadata)
    {
        using (var update = Command(connection, null,
            "UPDATE chat_messages SET content = (SELECT coalesce(group_concat(c.text, '' ORDER BY c.key), '') FROM chat_reply_chunks c WHERE c.key BETWEEN $base AND $base + 16777215), " +
            "status = $status, status_reason = $reason, reason_detail = $detail, metadata = coalesce($metadata, metadata), lease_ms = NULL, touched_at = NULL WHERE id = $id",
            ("$id", Key(messageId)), ("$base", ChunkBase(row)), ("$status", status == ChatReplyStatus.Complete ? null : (int)status), ("$reason", reason == ChatReplyReason.None ? null : (int)reason),
            ("$detail", detail), ("$metadata", metadata)))
        {
            update.ExecuteNonQuery();
        }

        using var delete = Command(connection, null, "DELETE FROM chat_reply_chunks WHERE key BETWEEN $base AND $base + 16777215", ("$base", ChunkBase(row)));
        delete.ExecuteNonQuery();
    }

    /// <summary>
    /// Settles the open replies matching <paramref name="where"/> that read as ended at <paramref name="now"/> (lease expired);
    /// returns the sessions that still have a live reply. Open replies are few: read through their partial index.
    /// </summary>
    private static HashSet<string> SettleEnded(SqliteConnection connection, long now, string where, params (string Name, object? Value)[] parameters)
    {
        var ended = new List<(Guid Id, SqliteReplyRow Row, SqliteReplyState State)>();
        var live = new HashSet<string>(StringComparer.Ordinal);
        using (var command = Command(connection, null, ReplyRowSelect.Replace("chat_messages m", "chat_messages m INDEXED BY ix_chat_messages_open_replies", StringComparison.Ordinal) +
            $" WHERE m.lease_ms IS NOT NULL AND {where}", parameters))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                var row = ReadReplyRow(reader);
                var state = row.ReadsAs(now);
                if (state.IsStreaming)
                {
                    live.Add(reader.GetString(11));
                }
                else
                {
                    ended.Add((Guid.Parse(reader.GetString(10)), row, state));
                }
            }
        }

        foreach (var (id, row, state) in ended)
        {
            Settle(connection, id, row, state.Status, state.Reason, state.Detail, null);
        }

        return live;
    }

    /// <inheritdoc />
    public IAsyncEnumerable<ChatChange> WatchAsync(string userId, Guid? sessionId = null, long? afterPosition = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        if (sessionId is { } id)
        {
            InputValidator.NotEmpty(id, nameof(sessionId));
        }

        return _feed.WatchAsync(userId, sessionId, afterPosition, ReplayAsync, cancellationToken);
    }

    private Task<IReadOnlyList<ChatChange>> ReplayAsync(string userId, Guid? sessionId, long afterPosition, CancellationToken cancellationToken) =>
        ReadAsync<IReadOnlyList<ChatChange>>(
            connection =>
            {
                using var command = Command(connection, null,
                    $"SELECT {ChangeColumns} FROM chat_changes WHERE user_id = $user AND position > $after AND ($session IS NULL OR session_id = $session) ORDER BY position",
                    ("$user", userId), ("$after", afterPosition), ("$session", sessionId is { } s ? Key(s) : null));
                return ReadChanges(command);
            },
            cancellationToken);

    // Runs synchronously in the first watcher's subscription: the position it reads is the watch's starting point.
    private void StartPolling()
    {
        lock (_pollGate)
        {
            if (_polling)
            {
                return;
            }

            using (var connection = Open())
            using (var command = Command(connection, null, "SELECT coalesce(max(position), 0) FROM chat_changes"))
            {
                _lastPosition = Convert.ToInt64(command.ExecuteScalar(), CultureInfo.InvariantCulture);
            }

            _polling = true;
            _ = Task.Run(PollAsync);
        }
    }

    private void SignalPoller()
    {
        // A signal already pending covers this write too (the channel holds one).
        if (Volatile.Read(ref _polling))
        {
            _pollSignal.Writer.TryWrite(true);
        }
    }

    private async Task PollAsync()
    {
        Task<bool>? signalled = null;
        while (true)
        {
            lock (_pollGate)
            {
                if (_feed.Count == 0 || _disposing.IsCancellationRequested)
                {
                    _polling = false;
                    return;
                }
            }

            try
            {
                List<ChatChange> changes;
                do
                {
                    using var connection = Open();
                    using var command = Command(connection, null, $"SELECT {ChangeColumns} FROM chat_changes WHERE position > $after ORDER BY position LIMIT 1000", ("$after", _lastPosition));
                    changes = ReadChanges(command);
                    foreach (var change in changes)
                    {
                        _feed.Publish(change);
                        _lastPosition = change.Position;
                    }
                }
                while (changes.Count == 1000);

                PublishReplyGrowth();
            }
            catch (SqliteException)
            {
                // Busy or briefly unavailable: the next round reads from the same position.
            }

            // Polling stops by itself when the last watch ends or the store is disposed (checked above).
            // One pending wait is kept across rounds (a new one per round would pile up while nothing is written).
            signalled ??= _pollSignal.Reader.WaitToReadAsync().AsTask();
            await Task.WhenAny(signalled, Task.Delay(_pollInterval, _disposing.Token)).ConfigureAwait(false);
            if (signalled.IsCompleted)
            {
                signalled = null;
                _pollSignal.Reader.TryRead(out _);
            }
        }
    }

    // The lengths of the replies streaming now (whichever process writes them), through their partial index: the ones that
    // grew since the last round are reported (volatile; the hub coalesces and drops lengths already reported).
    private void PublishReplyGrowth()
    {
        using var connection = Open();
        using var command = Command(connection, null,
            "SELECT m.id, m.user_id, m.session_id, m.seq, (SELECT c.key - m.seq * 16777216 + c.length FROM chat_reply_chunks c " +
            "WHERE c.key BETWEEN m.seq * 16777216 AND m.seq * 16777216 + 16777215 ORDER BY c.key DESC LIMIT 1) " +
            "FROM chat_messages m INDEXED BY ix_chat_messages_open_replies WHERE m.lease_ms IS NOT NULL AND m.status = 1");
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            if (!reader.IsDBNull(4))
            {
                _feed.PublishGrowth(new ChatChange
                {
                    Position = 0,
                    Kind = ChatChangeKind.ReplyGrew,
                    MessageId = Guid.Parse(reader.GetString(0)),
                    UserId = reader.GetString(1),
                    SessionId = Guid.Parse(reader.GetString(2)),
                    Sequence = reader.GetInt64(3),
                    Length = reader.GetInt64(4),
                });
            }
        }
    }

    private static List<ChatChange> ReadChanges(SqliteCommand command)
    {
        using var reader = command.ExecuteReader();
        var changes = new List<ChatChange>();
        while (reader.Read())
        {
            changes.Add(new ChatChange
            {
                Position = reader.GetInt64(0),
                Kind = (ChatChangeKind)reader.GetInt32(1),
                UserId = reader.GetString(2),
                SessionId = Guid.Parse(reader.GetString(3)),
                Sequence = reader.IsDBNull(4) ? null : reader.GetInt64(4),
                MessageId = reader.IsDBNull(5) ? null : Guid.Parse(reader.GetString(5)),
                IsFavorite = reader.IsDBNull(6) ? null : reader.GetInt64(6) != 0,
                Status = reader.IsDBNull(7) ? null : (ChatReplyStatus)reader.GetInt32(7),
                ForkSequence = reader.IsDBNull(8) ? null : reader.GetInt64(8),
            });
        }

        return changes;
    }

    /// <summary>Builds an FTS5 query from the words of the input: each word a quoted string (prefix when followed by '*'), all required.</summary>
    internal static string MatchExpression(string query) => string.Join(' ', TextSearch.ParseQuery(query).Select(Phrase));

    // Words hold only letters, digits and combining marks, so they never contain a double quote.
    private static string Phrase(TextSearch.Term term) => term.Prefix ? $"\"{term.Text}\"*" : $"\"{term.Text}\"";

    private static string Key(Guid id) => id.ToString();

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? transaction, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }

        return command;
    }

    private static ChatSession? QuerySession(SqliteConnection connection, SqliteTransaction? transaction, string where, params (string Name, object? Value)[] parameters)
    {
        using var command = Command(connection, transaction, $"SELECT {SessionColumns} FROM chat_sessions WHERE {where}", parameters);
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadSession(reader) : null;
    }

    private static void RequireSession(SqliteConnection connection, SqliteTransaction? transaction, Guid sessionId, string userId)
    {
        using var command = Command(connection, transaction, "SELECT 1 FROM chat_sessions WHERE id = $id AND user_id = $user", ("$id", Key(sessionId)), ("$user", userId));
        if (command.ExecuteScalar() is null)
        {
            throw ChatNotFoundException.ForSession(sessionId);
        }
    }

    private static ChatSession ReadSession(SqliteDataReader reader) => new()
    {
        Id = Guid.Parse(reader.GetString(0)),
        UserId = reader.GetString(1),
        WorkflowId = reader.GetString(2),
        Title = reader.IsDBNull(3) ? null : reader.GetString(3),
        CreatedAt = ChatTime.FromUnixMicroseconds(reader.GetInt64(4)),
        UpdatedAt = ChatTime.FromUnixMicroseconds(reader.GetInt64(5)),
        MessageCount = reader.GetInt64(6),
        LastMessageAt = reader.IsDBNull(7) ? null : ChatTime.FromUnixMicroseconds(reader.GetInt64(7)),
        ActiveLeafId = reader.IsDBNull(8) ? null : Guid.Parse(reader.GetString(8)),
    };

    /// <summary>The user's message as it reads now (a reply's text from its chunks, its status from its lease), or null.</summary>
    private StoredChatMessage? QueryMessage(SqliteConnection connection, SqliteTransaction? transaction, Guid messageId, string userId)
    {
        using var command = Command(connection, transaction, $"SELECT {MessageColumns} FROM chat_messages m WHERE m.id = $id AND m.user_id = $user", ("$id", Key(messageId)), ("$user", userId));
        using var reader = command.ExecuteReader();
        return reader.Read() ? ReadMessage(reader) : null;
    }

    // Reads the columns of MessageColumns; a reply's status is computed with this store's clock (see SqliteReplyState).
    private StoredChatMessage ReadMessage(SqliteDataReader reader)
    {
        _ = ChatMessageRoleExtensions.TryParseStorageName(reader.GetString(3), out var role);
        using var metadata = JsonDocument.Parse(reader.GetString(5));
        var state = SqliteReplyState.Read(
            reader.IsDBNull(8) ? null : reader.GetInt32(8),
            reader.IsDBNull(9) ? null : reader.GetInt32(9),
            reader.IsDBNull(10) ? null : reader.GetString(10),
            reader.IsDBNull(11) ? null : reader.GetInt64(11),
            reader.IsDBNull(12) ? null : reader.GetInt64(12),
            reader.IsDBNull(13) ? null : reader.GetInt64(13),
            Now());
        return new StoredChatMessage
        {
            Status = state.Status,
            Reason = state.Reason,
            ReasonDetail = state.Detail,
            LeaseExpiresAt = state.LeaseExpiresAt,
            Sequence = reader.GetInt64(0),
            Id = Guid.Parse(reader.GetString(1)),
            SessionId = Guid.Parse(reader.GetString(2)),
            Role = role,
            Content = reader.GetString(4),
            Metadata = metadata.RootElement.Clone(),
            CreatedAt = ChatTime.FromUnixMicroseconds(reader.GetInt64(6)),
            IsFavorite = reader.GetInt64(7) != 0,
            ParentId = reader.IsDBNull(ParentColumn) || reader.GetString(ParentColumn) is not { Length: > 0 } parent ? null : Guid.Parse(parent),
        };
    }

    private long Now() => ChatTime.ToUnixMicroseconds(TruncateToMicroseconds(_time.GetUtcNow()));

    private bool CreateSchema()
    {
        var directory = System.IO.Path.GetDirectoryName(DatabasePath);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        SqliteSchema.Ensure(connection);
        return true;
    }

    private SqliteConnection Open()
    {
        _ = _schema.Value;
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        ConnectionOpened?.Invoke(connection);
        return connection;
    }

    // Microsoft.Data.Sqlite does its I/O synchronously; reads run on the caller's thread and complete synchronously.
    private Task<T> ReadAsync<T>(Func<SqliteConnection, T> read, CancellationToken cancellationToken)
    {
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            cancellationToken.ThrowIfCancellationRequested();
            using var connection = Open();
            return Task.FromResult(read(connection));
        }
        catch (SqliteException ex)
        {
            return Task.FromException<T>(Translate(ex));
        }
        catch (Exception ex)
        {
            return Task.FromException<T>(ex);
        }
    }

    // All writes of this store run on its one write connection, one at a time per file (the gate), each in one
    // BEGIN IMMEDIATE transaction opened by the writer's prepared statements (so commands carry no SqliteTransaction).
    private async Task<T> WriteAsync<T>(Func<SqliteConnection, T> write, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            cancellationToken.ThrowIfCancellationRequested();
            var connection = _writer.Connection;
            _writer.Begin();
            T result;
            try
            {
                result = write(connection);
                _writer.Commit();
            }
            catch
            {
                // Nothing of a failed write stays: roll back (a failed rollback closes the connection, which discards it).
                _writer.Rollback();
                throw;
            }

            SignalPoller();
            return result;
        }
        catch (SqliteException ex)
        {
            // The connection's state is unknown (busy, I/O error, failed rollback): the next write starts on a new one.
            _writer.Reset();
            throw Translate(ex);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private static ChatPersistenceException Translate(SqliteException ex)
    {
        // SQLITE_BUSY (5) and SQLITE_LOCKED (6): another connection or process held the lock past the busy timeout.
        var transient = ex.SqliteErrorCode is 5 or 6;
        return new ChatPersistenceException($"The SQLite chat store failed: {ex.Message}", ex)
        {
            IsTransient = transient,
            ErrorCode = ex.SqliteExtendedErrorCode.ToString(CultureInfo.InvariantCulture),
        };
    }
}
