using Microsoft.Data.Sqlite;

namespace ChatPersistence.Sdk.Sqlite.Internal;

/// <summary>
/// Creates and upgrades the schema, versioned with <c>PRAGMA user_version</c>. Runs inside <c>BEGIN IMMEDIATE</c> and
/// re-reads the version there, so two processes opening a new file at once create it exactly once.
/// </summary>
internal static class SqliteSchema
{
    public const int CurrentVersion = 1;

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

    /// <summary>The upgrade steps: index i upgrades from version i to i + 1.</summary>
    private static readonly string[][] Steps = [Version1];

    public static void Ensure(SqliteConnection connection)
    {
        // WAL is a property of the file: set it outside a transaction (a no-op once set).
        Execute(connection, "PRAGMA journal_mode = WAL");
        if (ReadVersion(connection) == CurrentVersion)
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

        for (; version < CurrentVersion; version++)
        {
            foreach (var statement in Steps[version])
            {
                Execute(connection, statement, transaction);
            }
        }

        Execute(connection, $"PRAGMA user_version = {CurrentVersion}", transaction);
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
