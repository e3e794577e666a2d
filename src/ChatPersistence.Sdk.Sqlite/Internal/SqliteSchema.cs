using Microsoft.Data.Sqlite;

namespace ChatPersistence.Sdk.Sqlite.Internal;

/// <summary>
/// Creates and upgrades the schema, versioned with <c>PRAGMA user_version</c>. Runs inside <c>BEGIN IMMEDIATE</c> and
/// re-reads the version there, so two processes opening a new file at once create it exactly once.
/// </summary>
internal static class SqliteSchema
{
    public const int CurrentVersion = 4;

    private static readonly string[] Version1 =
    [
        """
        CREATE TABLE chat_sessions (
            id              TEXT    NOT NULL PRIMARY KEY,
            user_id         TEXT    NOT NULL,
            workflow_id     TEXT    NOT NULL,
            title           TEXT,
            created_at      INTEGER NOT NULL,
            updated_at      INTEGER NOT NULL,
            message_count   INTEGER NOT NULL DEFAULT 0,
            last_message_at INTEGER,
            UNIQUE (user_id, workflow_id)
        )
        """,
        "CREATE INDEX ix_chat_sessions_user_activity ON chat_sessions (user_id, updated_at DESC, id DESC)",
        "CREATE INDEX ix_chat_sessions_activity ON chat_sessions (updated_at)",
        """
        CREATE TABLE chat_messages (
            seq         INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
            id          TEXT    NOT NULL UNIQUE,
            session_id  TEXT    NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
            user_id     TEXT    NOT NULL,
            role        TEXT    NOT NULL CHECK (role IN ('user', 'assistant', 'system', 'tool')),
            content     TEXT    NOT NULL,
            metadata    TEXT    NOT NULL DEFAULT '{}' CHECK (json_type(metadata) = 'object'),
            created_at  INTEGER NOT NULL,
            is_favorite INTEGER NOT NULL DEFAULT 0
        )
        """,
        "CREATE INDEX ix_chat_messages_session ON chat_messages (session_id, seq)",
        "CREATE INDEX ix_chat_messages_favorites ON chat_messages (user_id, seq) WHERE is_favorite = 1",
        // FTS5 over the message text: accent- and case-insensitive words (unicode61 remove_diacritics 2), no stemming.
        "CREATE VIRTUAL TABLE chat_messages_fts USING fts5 (content, content = 'chat_messages', content_rowid = 'seq', tokenize = 'unicode61 remove_diacritics 2')",
        "CREATE TRIGGER chat_messages_fts_insert AFTER INSERT ON chat_messages BEGIN INSERT INTO chat_messages_fts (rowid, content) VALUES (new.seq, new.content); END",
        "CREATE TRIGGER chat_messages_fts_delete AFTER DELETE ON chat_messages BEGIN INSERT INTO chat_messages_fts (chat_messages_fts, rowid, content) VALUES ('delete', old.seq, old.content); END",
        "CREATE TRIGGER chat_messages_fts_update AFTER UPDATE OF content ON chat_messages BEGIN INSERT INTO chat_messages_fts (chat_messages_fts, rowid, content) VALUES ('delete', old.seq, old.content); INSERT INTO chat_messages_fts (rowid, content) VALUES (new.seq, new.content); END",
    ];

    // Version 2: the change feed. Triggers log every change (whichever process or code path wrote it) in chat_changes,
    // in commit order (SQLite has one writer at a time); the feed polls it by position. Kinds as ChatChangeKind.
    private static readonly string[] Version2 =
    [
        """
        CREATE TABLE chat_changes (
            position    INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
            kind        INTEGER NOT NULL,
            user_id     TEXT    NOT NULL,
            session_id  TEXT    NOT NULL,
            seq         INTEGER,
            message_id  TEXT,
            is_favorite INTEGER,
            created_at  INTEGER NOT NULL DEFAULT (CAST(strftime('%s', 'now') AS INTEGER))
        )
        """,
        "CREATE INDEX ix_chat_changes_user ON chat_changes (user_id, position)",
        // An append bumps message_count once per call; a clear sets it to 0 (an append always leaves at least one message).
        "CREATE TRIGGER chat_changes_appended AFTER UPDATE OF message_count ON chat_sessions WHEN new.message_count > old.message_count BEGIN INSERT INTO chat_changes (kind, user_id, session_id, seq) VALUES (1, new.user_id, new.id, (SELECT max(seq) FROM chat_messages WHERE session_id = new.id)); END",
        "CREATE TRIGGER chat_changes_cleared AFTER UPDATE OF message_count ON chat_sessions WHEN new.message_count = 0 BEGIN INSERT INTO chat_changes (kind, user_id, session_id) VALUES (2, new.user_id, new.id); END",
        "CREATE TRIGGER chat_changes_deleted AFTER DELETE ON chat_sessions BEGIN INSERT INTO chat_changes (kind, user_id, session_id) VALUES (3, old.user_id, old.id); END",
        "CREATE TRIGGER chat_changes_renamed AFTER UPDATE OF title ON chat_sessions BEGIN INSERT INTO chat_changes (kind, user_id, session_id) VALUES (4, new.user_id, new.id); END",
        "CREATE TRIGGER chat_changes_favorite AFTER UPDATE OF is_favorite ON chat_messages WHEN old.is_favorite IS NOT new.is_favorite BEGIN INSERT INTO chat_changes (kind, user_id, session_id, seq, message_id, is_favorite) VALUES (5, new.user_id, new.session_id, new.seq, new.id, new.is_favorite); END",
    ];

    // Version 3: replies stored while they are written (issue 26). ADD COLUMN never rewrites the table: every existing row
    // reads null in the new columns, which means "an ordinary, complete message". While a reply streams, its text is in
    // chat_reply_chunks (one row per flush, appended, never rewritten) and content stays empty; when it ends, the chunks are
    // joined into content once (which the FTS trigger indexes once) and deleted.
    //   status        null complete | 1 streaming | 2 stopped | 3 interrupted (ChatReplyStatus)
    //   status_reason null none | 1 stop requested | 2 caller stopped | 3 failed | 4 lease expired | 5 too large (ChatReplyReason)
    //   lease_ms      not null exactly while the text is in chunks (streaming, or its lease expired and it is not settled yet)
    //   touched_at    the last progress that is not a chunk (begin, heartbeat, stop request), in unix microseconds
    // A chunk row holds its text as stored (escaped), its length in UTF-16 units of the text as written (its offset is in its
    // key), the reply's UTF-8 size up to its end (the size limit is checked against the last chunk alone) and when it was
    // written (progress).
    private static readonly string[] Version3 =
    [
        "ALTER TABLE chat_messages ADD COLUMN status INTEGER CHECK (status IN (1, 2, 3))",
        "ALTER TABLE chat_messages ADD COLUMN status_reason INTEGER CHECK (status_reason BETWEEN 1 AND 5)",
        "ALTER TABLE chat_messages ADD COLUMN reason_detail TEXT",
        "ALTER TABLE chat_messages ADD COLUMN lease_ms INTEGER",
        "ALTER TABLE chat_messages ADD COLUMN touched_at INTEGER",
        "CREATE INDEX ix_chat_messages_open_replies ON chat_messages (session_id) WHERE lease_ms IS NOT NULL",
        // The key is the message's seq × 2^24 + the chunk's offset: a reply's chunks are one rowid range, in order, so a flush
        // writes one table leaf and no index (a reply holds fewer than 2^24 = MaxContentBytesCeiling UTF-16 units). A rowid
        // table also keeps a chunk of up to ~4 KB in its leaf, where an index B-tree (WITHOUT ROWID) spills past ~1 KB.
        """
        CREATE TABLE chat_reply_chunks (
            key        INTEGER NOT NULL PRIMARY KEY,
            length     INTEGER NOT NULL,
            utf8_end   INTEGER NOT NULL,
            written_at INTEGER NOT NULL,
            text       TEXT    NOT NULL
        )
        """,
        // Full-text: a reply is indexed once, when it is settled (its content then holds its text); while open it is not in
        // the index at all (not even its empty content), so begin writes nothing there. Ordinary rows keep the old triggers'
        // behaviour exactly.
        "DROP TRIGGER chat_messages_fts_insert",
        "DROP TRIGGER chat_messages_fts_delete",
        "DROP TRIGGER chat_messages_fts_update",
        "CREATE TRIGGER chat_messages_fts_insert AFTER INSERT ON chat_messages WHEN new.lease_ms IS NULL BEGIN INSERT INTO chat_messages_fts (rowid, content) VALUES (new.seq, new.content); END",
        "CREATE TRIGGER chat_messages_fts_delete AFTER DELETE ON chat_messages WHEN old.lease_ms IS NULL BEGIN INSERT INTO chat_messages_fts (chat_messages_fts, rowid, content) VALUES ('delete', old.seq, old.content); END",
        "CREATE TRIGGER chat_messages_fts_update AFTER UPDATE OF content ON chat_messages WHEN old.lease_ms IS NULL BEGIN INSERT INTO chat_messages_fts (chat_messages_fts, rowid, content) VALUES ('delete', old.seq, old.content); INSERT INTO chat_messages_fts (rowid, content) VALUES (new.seq, new.content); END",
        "CREATE TRIGGER chat_messages_fts_settle AFTER UPDATE OF content ON chat_messages WHEN old.lease_ms IS NOT NULL AND new.lease_ms IS NULL BEGIN INSERT INTO chat_messages_fts (rowid, content) VALUES (new.seq, new.content); END",
        // A reply deleted with its text still in chunks (clear, delete, retention) takes its chunks with it.
        "CREATE TRIGGER chat_reply_chunks_cleanup AFTER DELETE ON chat_messages WHEN old.lease_ms IS NOT NULL BEGIN DELETE FROM chat_reply_chunks WHERE key BETWEEN old.seq * 16777216 AND old.seq * 16777216 + 16777215; END",
        // The feed's reply kinds: an end (7, with the final status: 0 complete, 2 stopped, 3 interrupted) and a stop request
        // (9). A reply's growth is not logged: the feed's poll reads the open replies' lengths (volatile ReplyGrew).
        "ALTER TABLE chat_changes ADD COLUMN reply_status INTEGER",
        "CREATE TRIGGER chat_changes_reply_ended AFTER UPDATE OF status ON chat_messages WHEN old.status = 1 AND new.status IS NOT 1 BEGIN INSERT INTO chat_changes (kind, user_id, session_id, seq, message_id, reply_status) VALUES (7, new.user_id, new.session_id, new.seq, new.id, coalesce(new.status, 0)); END",
        "CREATE TRIGGER chat_changes_reply_stop AFTER UPDATE OF status_reason ON chat_messages WHEN new.status = 1 AND new.status_reason = 1 AND old.status_reason IS NOT 1 BEGIN INSERT INTO chat_changes (kind, user_id, session_id, seq, message_id) VALUES (9, new.user_id, new.session_id, new.seq, new.id); END",
    ];

    // Version 4: conversation branches (issue 27), stored as runs (design note §1, §4.2). ADD COLUMN only: every existing row
    // reads null, which means "a linear history": each message's parent is the message before it in the session.
    //   chat_messages.parent_id   null: the previous message of the session by seq (none for its first) | '': a root | else the
    //                             parent's id — stored on run heads only
    //   chat_sessions.active_run  null: never branched (one run; the leaf is the newest message) | the start seq of the run
    //                             holding the active leaf (always that run's last message)
    //   chat_sessions.leaf_id, leaf_seq   the active leaf (null while never branched)
    //   chat_sessions.path_version        bumped by every change of the session's runs or active run, never reset: the key
    //                                     of the store's in-memory run tree and the activation stamp of chat_runs
    //   chat_sessions.fork_seq    written only by a change of active path (its trigger logs ActivePathChanged, kind 8)
    // chat_runs: one row per run of a session that branched (none for linear sessions); immutable but for `activated`.
    private static readonly string[] Version4 =
    [
        "ALTER TABLE chat_messages ADD COLUMN parent_id TEXT",
        "ALTER TABLE chat_sessions ADD COLUMN active_run INTEGER",
        "ALTER TABLE chat_sessions ADD COLUMN leaf_id TEXT",
        "ALTER TABLE chat_sessions ADD COLUMN leaf_seq INTEGER",
        "ALTER TABLE chat_sessions ADD COLUMN path_version INTEGER",
        "ALTER TABLE chat_sessions ADD COLUMN fork_seq INTEGER",
        """
        CREATE TABLE chat_runs (
            session_id  TEXT    NOT NULL REFERENCES chat_sessions (id) ON DELETE CASCADE,
            start_seq   INTEGER NOT NULL,
            head_id     TEXT    NOT NULL,
            parent_seq  INTEGER,
            prev_end    INTEGER,
            activated   INTEGER NOT NULL,
            PRIMARY KEY (session_id, start_seq)
        ) WITHOUT ROWID
        """,
        "ALTER TABLE chat_changes ADD COLUMN fork_seq INTEGER",
        "CREATE TRIGGER chat_changes_path AFTER UPDATE OF fork_seq ON chat_sessions BEGIN INSERT INTO chat_changes (kind, user_id, session_id, seq, message_id, fork_seq) VALUES (8, new.user_id, new.id, new.leaf_seq, new.leaf_id, new.fork_seq); END",
    ];

    /// <summary>The upgrade steps: index i upgrades from version i to i + 1.</summary>
    private static readonly string[][] Steps = [Version1, Version2, Version3, Version4];

    public static void Ensure(SqliteConnection connection) => Ensure(connection, CurrentVersion);

    /// <summary>Creates or upgrades the schema up to <paramref name="target"/> (tests create files of earlier versions with it).</summary>
    internal static void Ensure(SqliteConnection connection, int target)
    {
        // WAL is a property of the file: set it outside a transaction (a no-op once set).
        Execute(connection, "PRAGMA journal_mode = WAL");
        if (ReadVersion(connection) == target)
        {
            return;
        }

        using var transaction = connection.BeginTransaction(deferred: false);
        var version = ReadVersion(connection, transaction);
        if (version > CurrentVersion)
        {
            throw new ChatPersistenceException(
                $"The chat database was created by a newer version of ChatPersistence.Sdk.Sqlite (schema {version}; this version knows {CurrentVersion}). Upgrade the package.");
        }

        for (; version < target; version++)
        {
            foreach (var statement in Steps[version])
            {
                Execute(connection, statement, transaction);
            }
        }

        Execute(connection, $"PRAGMA user_version = {version}", transaction);
        transaction.Commit();
    }

    public static int ReadVersion(SqliteConnection connection, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "PRAGMA user_version";
        return Convert.ToInt32(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static void Execute(SqliteConnection connection, string sql, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
