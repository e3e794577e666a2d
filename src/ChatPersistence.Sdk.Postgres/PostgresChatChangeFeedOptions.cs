namespace ChatPersistence.Sdk.Postgres;

/// <summary>How the PostgreSQL change feed listens. Bound from <c>ChatPersistence:Postgres:ChangeFeed</c>.</summary>
public sealed class PostgresChatChangeFeedOptions
{
    /// <summary>The configuration section: <c>ChatPersistence:Postgres:ChangeFeed</c>.</summary>
    public const string SectionName = "ChatPersistence:Postgres:ChangeFeed";

    /// <summary>
    /// The connection string of the listener's connection, when it must differ from the store's: <c>LISTEN</c> needs a
    /// session that stays with one server connection — a direct connection or a session-mode pooler (Supabase: port 5432
    /// of the pooler, or the direct host), never a transaction-mode pooler (Supabase: port 6543, PgBouncer in transaction
    /// mode), which hands each transaction to another server connection and drops notifications. The role needs
    /// <c>service_role</c> or owner rights (it reads <c>chat_private.chat_changes</c>). <see langword="null"/>: the store's.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// How long the listener waits for a notification before it reads the change log anyway, which checks the connection
    /// and keeps the range of the log each read scans short. Defaults to 5 seconds.
    /// </summary>
    public TimeSpan KeepAliveInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The first wait before reconnecting after the connection is lost (doubled up to 30 seconds while it fails). Defaults to 500 ms.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// How often the listener reads the lengths of the replies streaming in the watched users' sessions, while there are
    /// any (it starts after a watched session's append and stops when a read finds none), to report
    /// <see cref="ChangeFeed.ChatChangeKind.ReplyGrew"/>. One indexed query per interval per process, none while nothing
    /// streams; flushes themselves notify nothing. 50 ms to 5 s; defaults to 200 ms (a reply's writer flushes at most every
    /// 200 ms by default).
    /// </summary>
    public TimeSpan ReplyPollInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How long logged changes are kept for catch-up and resuming watchers (at least a minute). Defaults to one day.</summary>
    public TimeSpan ChangeRetention { get; set; } = TimeSpan.FromDays(1);
}
