using Microsoft.Data.Sqlite;

namespace ChatPersistence.Sdk.Sqlite.Internal;

/// <summary>
/// One store's write connection, kept open between writes, with the append's two statements and the transaction's
/// <c>BEGIN IMMEDIATE</c> / <c>COMMIT</c> prepared once on it. Preparing is most of an append's cost otherwise: the session
/// update compiles the change-feed triggers and the insert the full-text trigger and the foreign key on every call.
/// Not thread-safe: used only under the file's write gate.
/// </summary>
/// <remarks>
/// The connection closes itself once no write used it for a whole idle period (checked by a timer that runs only while the
/// connection is open), and when the store is disposed. Closing returns it to Microsoft.Data.Sqlite's pool, as every other
/// connection of the store, so <c>SqliteConnection.ClearAllPools()</c> releases the file as before once writes stop.
/// </remarks>
internal sealed class SqliteWriter
{
    /// <summary>
    /// Inserts one message if the session is the caller's, its active leaf is its newest message (always so for a session that
    /// never branched: one probe of the index more only for one that did; a later element of the batch follows the one this
    /// statement inserted before it, which is the leaf now), and the id is new; returns its <c>seq</c> (and, when
    /// <c>$first</c> is 1, the id of the message before it: its parent), or no row when any of these is not so (the caller
    /// then finds out which). One statement for the ownership check and the insert; the message continues the run of the
    /// newest message, so its parent is not stored.
    /// </summary>
    public const string InsertMessageSql =
        "INSERT INTO chat_messages (id, session_id, user_id, role, content, metadata, created_at) " +
        "SELECT $id, id, user_id, $role, $content, $metadata, $created FROM chat_sessions WHERE id = $session AND user_id = $user " +
        "AND (active_run IS NULL OR $first = 0 OR leaf_seq = (SELECT max(x.seq) FROM chat_messages x WHERE x.session_id = $session)) " +
        "ON CONFLICT (id) DO NOTHING RETURNING seq, " +
        "CASE WHEN $first = 1 THEN (SELECT p.id FROM chat_messages p WHERE p.session_id = $session AND p.seq < chat_messages.seq ORDER BY p.seq DESC LIMIT 1) END";

    /// <summary>
    /// Bumps the session's counters once per append call (the change-feed trigger logs one change per call) and, on a session
    /// that branched, moves its active leaf to the last message appended (null stays null on one that never did).
    /// </summary>
    public const string TouchSessionSql =
        "UPDATE chat_sessions SET message_count = message_count + $n, last_message_at = $last, updated_at = max(updated_at + 1, $now), " +
        "leaf_id = CASE WHEN active_run IS NULL THEN NULL ELSE $leaf END, leaf_seq = CASE WHEN active_run IS NULL THEN NULL ELSE $leafSeq END WHERE id = $session";

    // Parameter positions, in the order the commands create them.
    public const int InsertId = 0;
    public const int InsertSession = 1;
    public const int InsertUser = 2;
    public const int InsertRole = 3;
    public const int InsertContent = 4;
    public const int InsertMetadata = 5;
    public const int InsertCreated = 6;
    public const int InsertFirst = 7;
    public const int TouchCount = 0;
    public const int TouchLast = 1;
    public const int TouchNow = 2;
    public const int TouchId = 3;
    public const int TouchLeaf = 4;
    public const int TouchLeafSeq = 5;

    private static readonly string[] InsertParameters = ["$id", "$session", "$user", "$role", "$content", "$metadata", "$created", "$first"];
    private static readonly string[] TouchParameters = ["$n", "$last", "$now", "$session", "$leaf", "$leafSeq"];

    private readonly Func<SqliteConnection> _open;
    private readonly SemaphoreSlim _gate;
    private readonly TimeSpan _idleTimeout;
    private SqliteConnection? _connection;
    private SqliteCommand? _insertMessage;
    private SqliteCommand? _touchSession;
    private SqliteCommand? _begin;
    private SqliteCommand? _commit;
    private SqliteCommand? _rollback;
    private Timer? _idleTimer;
    private long _uses;
    private long _usesAtLastCheck;

    /// <summary>Creates a writer that opens its connection with <paramref name="open"/> on first use.</summary>
    /// <param name="open">Opens a connection to the store's file.</param>
    /// <param name="gate">The file's write gate, held by every caller of this writer.</param>
    /// <param name="idleTimeout">How long the connection stays open without a write.</param>
    public SqliteWriter(Func<SqliteConnection> open, SemaphoreSlim gate, TimeSpan idleTimeout)
    {
        _open = open;
        _gate = gate;
        _idleTimeout = idleTimeout;
    }

    /// <summary>The open write connection for one write (opened on first use, and again after <see cref="Reset"/> or an idle close).</summary>
    public SqliteConnection Connection
    {
        get
        {
            _uses++;
            if (_connection is null)
            {
                _connection = _open();
                _usesAtLastCheck = _uses;
                _idleTimer ??= new Timer(static state => ((SqliteWriter)state!).CloseIfIdle(), this, _idleTimeout, _idleTimeout);
            }

            return _connection;
        }
    }

    /// <summary>The prepared insert (<see cref="InsertMessageSql"/>); runs inside the transaction of <see cref="Begin"/>.</summary>
    public SqliteCommand InsertMessage() => Prepared(ref _insertMessage, InsertMessageSql, InsertParameters);

    /// <summary>The prepared session update (<see cref="TouchSessionSql"/>); runs inside the transaction of <see cref="Begin"/>.</summary>
    public SqliteCommand TouchSession() => Prepared(ref _touchSession, TouchSessionSql, TouchParameters);

    /// <summary>
    /// Starts the write transaction with <c>BEGIN IMMEDIATE</c> (takes the file's write lock, waiting up to the busy timeout).
    /// Prepared once: a <see cref="SqliteTransaction"/> would prepare <c>BEGIN</c> and <c>COMMIT</c> again on every write.
    /// </summary>
    public void Begin() => Prepared(ref _begin, "BEGIN IMMEDIATE", []).ExecuteNonQuery();

    /// <summary>Commits the transaction of <see cref="Begin"/>.</summary>
    public void Commit() => Prepared(ref _commit, "COMMIT", []).ExecuteNonQuery();

    /// <summary>
    /// Rolls back the transaction of <see cref="Begin"/> after a failed write. When SQLite already ended it (some errors roll
    /// back by themselves) or the rollback fails, the connection is closed instead, which discards anything uncommitted.
    /// </summary>
    public void Rollback()
    {
        if (_connection is null)
        {
            return;
        }

        try
        {
            Prepared(ref _rollback, "ROLLBACK", []).ExecuteNonQuery();
        }
        catch (SqliteException)
        {
            Reset();
        }
    }

    /// <summary>Closes the connection and its statements (after a failed write, whose connection state is unknown); the next write opens a new one.</summary>
    public void Reset()
    {
        _idleTimer?.Dispose();
        _idleTimer = null;
        _insertMessage?.Dispose();
        _insertMessage = null;
        _touchSession?.Dispose();
        _touchSession = null;
        _begin?.Dispose();
        _begin = null;
        _commit?.Dispose();
        _commit = null;
        _rollback?.Dispose();
        _rollback = null;
        _connection?.Dispose();
        _connection = null;
    }

    private void CloseIfIdle()
    {
        // A write in progress (of this store or another on the same file) means busy: look again next period.
        if (!_gate.Wait(0))
        {
            return;
        }

        try
        {
            if (_uses != _usesAtLastCheck)
            {
                _usesAtLastCheck = _uses;
                return;
            }

            Reset();
        }
        finally
        {
            _gate.Release();
        }
    }

    private SqliteCommand Prepared(ref SqliteCommand? slot, string sql, string[] parameters)
    {
        if (slot is null)
        {
            var command = Connection.CreateCommand();
            command.CommandText = sql;
            foreach (var name in parameters)
            {
                command.Parameters.Add(new SqliteParameter(name, DBNull.Value));
            }

            command.Prepare();
            slot = command;
        }

        return slot;
    }
}
