using System.Diagnostics;
using ChatPersistence.Sdk.ChangeFeed;
using ChatPersistence.Sdk.Internal;
using ChatPersistence.Sdk.Postgres.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ChatPersistence.Sdk.Postgres;

/// <summary>
/// The change feed of a PostgreSQL (or Supabase) database: one dedicated connection per process <c>LISTEN</c>s on the
/// channel the schema's triggers notify, reads what changed from the change log (<c>chat_private.chat_changes</c>, which
/// only the triggers write) and hands each change to the watchers of its user or session. Thread-safe; one instance serves
/// any number of watchers.
/// </summary>
/// <remarks>
/// <para>
/// A notification is a wake-up only. PostgreSQL has no privilege for <c>NOTIFY</c> or <c>LISTEN</c>: any role that can log
/// in may send anything on the channel, or listen to it. So the triggers' notifications carry no payload (a listener learns
/// that something changed, not whose data), and the feed never reads a payload: each wake-up reads, in one statement, the
/// log entries of the transactions its previous read's snapshot did not see. A forged notification costs one read that
/// finds nothing new.
/// </para>
/// <para>
/// Reconnection and catch-up: when the connection is lost (server restart, network), the listener reconnects with
/// back-off, <c>LISTEN</c>s again and reads the log the same way — so nothing committed while it was away is missed and
/// nothing is delivered twice. On its very first connection it catches up the watches that subscribed before it was
/// listening with what was logged since they subscribed, so no host has to call <see cref="StartAsync"/> first.
/// </para>
/// <para>
/// The connection must keep one server session: a direct connection or a session-mode pooler. Transaction-mode poolers
/// (PgBouncer in transaction mode, Supabase's port 6543) cannot <c>LISTEN</c>.
/// </para>
/// </remarks>
public sealed class PostgresChatChangeFeed : IChatChangeFeed, IAsyncDisposable
{
    /// <summary>The notification channel the schema's triggers use.</summary>
    public const string Channel = "chat_changes";

    private const string ChangeColumns = "position, kind, user_id, session_id, seq, message_id, is_favorite, reply_status, fork_seq";
    private const string PrefixedChangeColumns = "c.position, c.kind, c.user_id, c.session_id, c.seq, c.message_id, c.is_favorite, c.reply_status, c.fork_seq";

    // The lengths of the streaming replies of the watched users: through the sessions' user key and their open_replies,
    // then each reply's last chunk by its primary key. Streaming replies are few; a user with none costs one index probe.
    // Read every ReplyPollInterval while any is streaming: flushes notify nothing (a NOTIFY per flush would serialize the
    // flushes' commits on PostgreSQL's notify lock).
    private const string ReplyLengthsSql =
        "select m.id, m.user_id, m.session_id, m.seq, " +
        "(select k.start_offset + k.length from chat_private.chat_reply_chunks k where k.message_id = m.id order by k.start_offset desc limit 1) " +
        "from public.chat_sessions s cross join lateral pg_catalog.unnest(s.open_replies) r(id) join public.chat_messages m on m.id = r.id " +
        "where s.user_id = any($1) and s.open_replies is not null and m.status = 1 and m.lease_ms is not null";
    private static readonly TimeSpan FirstConnectMargin = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MaxReconnectDelay = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan PruneInterval = TimeSpan.FromMinutes(10);

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly PostgresChatChangeFeedOptions _options;
    private readonly ILogger _logger;
    private readonly ChangeFeedHub _hub = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _startGate = new();
    private Task? _run;
    private string? _snapshot;
    private long _firstWatchTimestamp;
    private volatile bool _wake;
    private volatile bool _replyPoll;
    private long _lastReplyRead;
    private DateTimeOffset _lastPrune = DateTimeOffset.MinValue;

    /// <summary>Creates a feed with the default settings over a data source the caller owns (and disposes after the feed).</summary>
    /// <param name="dataSource">The data source the listener's connection is opened from.</param>
    /// <exception cref="ArgumentNullException"><paramref name="dataSource"/> is <see langword="null"/>.</exception>
    public PostgresChatChangeFeed(NpgsqlDataSource dataSource)
        : this(dataSource, null, null)
    {
    }

    /// <summary>Creates a feed over a data source the caller owns (and disposes after the feed).</summary>
    /// <param name="dataSource">The data source the listener's connection is opened from.</param>
    /// <param name="options">The listener's settings; <see langword="null"/> uses the defaults (its <see cref="PostgresChatChangeFeedOptions.ConnectionString"/> is ignored).</param>
    /// <param name="logger">Logs reconnections; <see langword="null"/> logs nothing.</param>
    /// <exception cref="ArgumentNullException"><paramref name="dataSource"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An interval in <paramref name="options"/> is out of range.</exception>
    public PostgresChatChangeFeed(NpgsqlDataSource dataSource, PostgresChatChangeFeedOptions? options, ILogger<PostgresChatChangeFeed>? logger)
        : this(dataSource ?? throw new ArgumentNullException(nameof(dataSource)), ownsDataSource: false, options, logger)
    {
    }

    /// <summary>Creates a feed with the default settings over a connection string; the feed owns the data source it builds.</summary>
    /// <param name="connectionString">A direct or session-pooler connection string with <c>service_role</c> or owner rights.</param>
    /// <exception cref="ArgumentException"><paramref name="connectionString"/> is empty or invalid.</exception>
    public PostgresChatChangeFeed(string connectionString)
        : this(connectionString, null, null)
    {
    }

    /// <summary>Creates a feed over a connection string; the feed owns the data source it builds.</summary>
    /// <param name="connectionString">A direct or session-pooler connection string with <c>service_role</c> or owner rights.</param>
    /// <param name="options">The listener's settings; <see langword="null"/> uses the defaults.</param>
    /// <param name="logger">Logs reconnections; <see langword="null"/> logs nothing.</param>
    /// <exception cref="ArgumentException"><paramref name="connectionString"/> is empty or invalid.</exception>
    /// <exception cref="ArgumentOutOfRangeException">An interval in <paramref name="options"/> is out of range.</exception>
    public PostgresChatChangeFeed(string connectionString, PostgresChatChangeFeedOptions? options, ILogger<PostgresChatChangeFeed>? logger)
        : this(NpgsqlDataSource.Create(string.IsNullOrWhiteSpace(connectionString) ? throw new ArgumentException("A connection string is required.", nameof(connectionString)) : connectionString),
               ownsDataSource: true, options, logger)
    {
    }

    private PostgresChatChangeFeed(NpgsqlDataSource dataSource, bool ownsDataSource, PostgresChatChangeFeedOptions? options, ILogger? logger)
    {
        _options = options ?? new PostgresChatChangeFeedOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.KeepAliveInterval, TimeSpan.FromMilliseconds(100), nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.ReconnectDelay, TimeSpan.FromMilliseconds(10), nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.ChangeRetention, TimeSpan.FromMinutes(1), nameof(options));
        if (_options.ReplyPollInterval < TimeSpan.FromMilliseconds(50) || _options.ReplyPollInterval > TimeSpan.FromSeconds(5))
        {
            throw new ArgumentOutOfRangeException(nameof(options), _options.ReplyPollInterval, "ReplyPollInterval must be between 50 ms and 5 s.");
        }
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _logger = logger ?? NullLogger.Instance;
        _hub.FirstWatcher = () =>
        {
            // Only the first one counts: the first connection catches the watches up from then on.
            _ = Interlocked.CompareExchange(ref _firstWatchTimestamp, Stopwatch.GetTimestamp(), 0);
            _ = EnsureRunning();
        };
    }

    /// <summary>How many watches are open on this feed.</summary>
    public int WatcherCount => _hub.Count;

    /// <summary>How many times the listener has (re)connected and caught up.</summary>
    public int ConnectionCount { get; private set; }

    /// <summary>
    /// Starts the listener (once) and waits until it is listening. Optional: the first watch starts the listener too, and
    /// its first connection catches up the watches that subscribed before it.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (the listener goes on starting).</param>
    /// <returns>A task that completes when notifications are being received.</returns>
    /// <exception cref="ObjectDisposedException">The feed was disposed.</exception>
    public Task StartAsync(CancellationToken cancellationToken = default) => EnsureRunning().WaitAsync(cancellationToken);

    /// <inheritdoc />
    /// <exception cref="ArgumentException"><paramref name="userId"/> is not a UUID (PostgreSQL user ids are Supabase Auth ids), or <paramref name="sessionId"/> is empty.</exception>
    public IAsyncEnumerable<ChatChange> WatchAsync(string userId, Guid? sessionId = null, long? afterPosition = null, CancellationToken cancellationToken = default)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        if (!Guid.TryParse(userId, out var user))
        {
            throw new ArgumentException("PostgreSQL user ids are UUIDs.", nameof(userId));
        }

        if (sessionId is { } id)
        {
            InputValidator.NotEmpty(id, nameof(sessionId));
        }

        ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
        return _hub.WatchAsync(user.ToString(), sessionId, afterPosition, ReplayAsync, cancellationToken);
    }

    /// <summary>Stops the listener and ends every watch; disposes the data source when the feed created it.</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_run is not null)
        {
            try
            {
                await _run.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _hub.Complete();
        _listening.TrySetCanceled();
        if (_ownsDataSource)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }

        _stopping.Dispose();
    }

    private Task EnsureRunning()
    {
        lock (_startGate)
        {
            ObjectDisposedException.ThrowIf(_stopping.IsCancellationRequested, this);
            _run ??= Task.Run(() => RunAsync(_stopping.Token));
            return _listening.Task;
        }
    }

    private async Task<IReadOnlyList<ChatChange>> ReplayAsync(string userId, Guid? sessionId, long afterPosition, CancellationToken cancellationToken)
    {
        try
        {
            var command = _dataSource.CreateCommand(
                $"select {ChangeColumns} from chat_private.chat_changes where user_id = $1 and position > $2 and ($3::uuid is null or session_id = $3) order by position");
            await using var commandScope = command.ConfigureAwait(false);
            command.Parameters.AddWithValue(Guid.Parse(userId));
            command.Parameters.AddWithValue(afterPosition);
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Uuid, Value = sessionId is { } s ? s : DBNull.Value });
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using var readerScope = reader.ConfigureAwait(false);
            var rows = new List<ChatChange>();
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(ReadChange(reader, 0));
            }

            return rows;
        }
        catch (NpgsqlException ex)
        {
            throw new ChatPersistenceException($"The chat change feed could not replay the logged changes: {ex.Message}", ex) { IsTransient = ex.IsTransient };
        }
    }

    private async Task RunAsync(CancellationToken stopping)
    {
        var delay = _options.ReconnectDelay;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                await ListenAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException or InvalidOperationException or OperationCanceledException)
            {
                FeedLog.Reconnecting(_logger, ex, delay);
                try
                {
                    await Task.Delay(delay, stopping).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxReconnectDelay.Ticks));
                continue;
            }
        }
    }

    private async Task ListenAsync(CancellationToken stopping)
    {
        var connection = await _dataSource.OpenConnectionAsync(stopping).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            connection.Notification += OnNotification;
            await ExecuteAsync(connection, $"listen {Channel}", stopping).ConfigureAwait(false);

            // Catch up: what was committed while the listener was away (or, on the first connection, since the first watch
            // subscribed). Listening already, so a change committed after this read wakes the loop below.
            _wake = false;
            var caughtUp = await ReadLogAsync(connection, stopping).ConfigureAwait(false);
            ConnectionCount++;
            FeedLog.Listening(_logger, caughtUp);
            _listening.TrySetResult();

            // Replies may have grown while the listener was away.
            _replyPoll = true;
            while (true)
            {
                if (_wake)
                {
                    // A notification is a wake-up only (anyone who can log in may send one, with any payload): what is
                    // delivered is read from the log, which only the schema's triggers write. Notifications that arrive during
                    // the read set the flag again, so a burst costs one more read, not one per notification.
                    _wake = false;
                    if (await ReadLogAsync(connection, stopping).ConfigureAwait(false) > 0)
                    {
                        // An append (a reply's begin is one) may have started a reply: look at the lengths from now on.
                        _replyPoll = true;
                    }

                    continue;
                }

                if (_replyPoll)
                {
                    // While replies stream in the watched users' sessions: their lengths every ReplyPollInterval; the log's
                    // notifications are still handled at once meanwhile. Stops once a read finds none streaming.
                    var left = _options.ReplyPollInterval - Stopwatch.GetElapsedTime(_lastReplyRead);
                    if (left < TimeSpan.FromMilliseconds(1))
                    {
                        _lastReplyRead = Stopwatch.GetTimestamp();
                        _replyPoll = await ReadReplyLengthsAsync(connection, stopping).ConfigureAwait(false) > 0;
                    }
                    else
                    {
                        // Whole milliseconds, at least one: Npgsql waits forever for a time-out of 0 ms, which a sub-millisecond
                        // remainder (a wait that ended a little early) would truncate to.
                        await connection.WaitAsync((int)Math.Ceiling(left.TotalMilliseconds), stopping).ConfigureAwait(false);
                    }

                    continue;
                }

                if (!await connection.WaitAsync(_options.KeepAliveInterval, stopping).ConfigureAwait(false))
                {
                    // Idle: the read checks the connection and keeps the snapshot recent (the log range it scans small).
                    await ReadLogAsync(connection, stopping).ConfigureAwait(false);
                    await PruneIfDueAsync(connection, stopping).ConfigureAwait(false);
                }
            }
        }
    }

    // Reads, in one statement (one snapshot), the changes of every transaction that the previous read's snapshot did not
    // see — committed since, or still running then — and the current snapshot, which the next read starts from. Each change
    // is read once whatever the order in which transactions commit (positions are drawn before commit, so a smaller one
    // may commit later), with no set of delivered positions to keep. The changes are published once the whole answer is in,
    // and the snapshot moves only then: a read cut short by a lost connection is read again whole after reconnecting.
    private async Task<int> ReadLogAsync(NpgsqlConnection connection, CancellationToken stopping)
    {
        NpgsqlCommand command;
        if (_snapshot is { } snapshot)
        {
            command = new NpgsqlCommand(
                $"select s.snap::text, {PrefixedChangeColumns} from (select pg_catalog.pg_current_snapshot() as snap) s " +
                "left join chat_private.chat_changes c on c.xid >= pg_catalog.pg_snapshot_xmin($1::text::pg_catalog.pg_snapshot) " +
                "and not pg_catalog.pg_visible_in_snapshot(c.xid, $1::text::pg_catalog.pg_snapshot) order by c.position",
                connection);
            command.Parameters.AddWithValue(snapshot);
        }
        else
        {
            // The first connection: the watches that subscribed before it get what was logged since they did (with a margin
            // for transactions that began earlier and committed after; delivery is at least once, so a change from just
            // before a watch began is a harmless extra hint). No watch yet: nothing to catch up.
            var since = Volatile.Read(ref _firstWatchTimestamp);
            var window = since == 0 ? (TimeSpan?)null : Stopwatch.GetElapsedTime(since) + FirstConnectMargin;
            command = new NpgsqlCommand(
                $"select s.snap::text, {PrefixedChangeColumns} from (select pg_catalog.pg_current_snapshot() as snap) s " +
                "left join chat_private.chat_changes c on c.created_at >= pg_catalog.now() - $1::interval order by c.position",
                connection);
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Interval, Value = window is { } w ? w : DBNull.Value });
        }

        string next;
        var changes = new List<ChatChange>();
        await using (command.ConfigureAwait(false))
        {
            command.CommandTimeout = 15;
            var reader = await command.ExecuteReaderAsync(stopping).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                next = null!;
                while (await reader.ReadAsync(stopping).ConfigureAwait(false))
                {
                    next = reader.GetString(0);
                    if (!reader.IsDBNull(1))
                    {
                        changes.Add(ReadChange(reader, 1));
                    }
                }
            }
        }

        foreach (var change in changes)
        {
            _hub.Publish(change);
        }

        _snapshot = next;
        return changes.Count;
    }

    // Reports the streaming replies of the users watched now whose stored length grew (volatile ReplyGrew; the hub drops a
    // length it has reported already and coalesces per reply).
    private async Task<int> ReadReplyLengthsAsync(NpgsqlConnection connection, CancellationToken stopping)
    {
        var users = _hub.WatchedUsers();
        if (users.Length == 0)
        {
            return 0;
        }

        var ids = new Guid[users.Length];
        for (var i = 0; i < users.Length; i++)
        {
            ids[i] = Guid.Parse(users[i]);
        }

        var command = new NpgsqlCommand(ReplyLengthsSql, connection);
        await using (command.ConfigureAwait(false))
        {
            command.CommandTimeout = 15;
            command.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Array | NpgsqlTypes.NpgsqlDbType.Uuid, Value = ids });
            var streaming = 0;
            var reader = await command.ExecuteReaderAsync(stopping).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(stopping).ConfigureAwait(false))
                {
                    streaming++;
                    if (!reader.IsDBNull(4))
                    {
                        _hub.PublishGrowth(new ChatChange
                        {
                            Position = 0,
                            Kind = ChatChangeKind.ReplyGrew,
                            MessageId = reader.GetGuid(0),
                            UserId = reader.GetGuid(1).ToString(),
                            SessionId = reader.GetGuid(2),
                            Sequence = reader.GetInt64(3),
                            Length = reader.GetInt64(4),
                        });
                    }
                }
            }

            return streaming;
        }
    }

    private async Task PruneIfDueAsync(NpgsqlConnection connection, CancellationToken stopping)
    {
        if (DateTimeOffset.UtcNow - _lastPrune <= PruneInterval)
        {
            return;
        }

        _lastPrune = DateTimeOffset.UtcNow;
        try
        {
            var prune = new NpgsqlCommand("select chat_private.chat_prune_changes($1)", connection);
            await using var pruneScope = prune.ConfigureAwait(false);
            prune.Parameters.AddWithValue(_options.ChangeRetention);
            await prune.ExecuteScalarAsync(stopping).ConfigureAwait(false);
        }
        catch (PostgresException ex)
        {
            FeedLog.PruneFailed(_logger, ex);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken stopping)
    {
        var command = new NpgsqlCommand(sql, connection);
        await using var scope = command.ConfigureAwait(false);
        await command.ExecuteNonQueryAsync(stopping).ConfigureAwait(false);
    }

    // Raised while the listener's loop reads the connection. The payload is not read: it is empty when the schema's trigger
    // sends it, and anything when someone else does.
    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (string.Equals(e.Channel, Channel, StringComparison.Ordinal))
        {
            _wake = true;
        }
    }

    private static ChatChange ReadChange(NpgsqlDataReader reader, int offset) => new()
    {
        Position = reader.GetInt64(offset),
        Kind = (ChatChangeKind)reader.GetInt16(offset + 1),
        UserId = reader.GetGuid(offset + 2).ToString(),
        SessionId = reader.GetGuid(offset + 3),
        Sequence = reader.IsDBNull(offset + 4) ? null : reader.GetInt64(offset + 4),
        MessageId = reader.IsDBNull(offset + 5) ? null : reader.GetGuid(offset + 5),
        IsFavorite = reader.IsDBNull(offset + 6) ? null : reader.GetBoolean(offset + 6),
        Status = reader.IsDBNull(offset + 7) ? null : (ChatReplyStatus)reader.GetInt16(offset + 7),
        ForkSequence = reader.IsDBNull(offset + 8) ? null : reader.GetInt64(offset + 8),
    };
}
