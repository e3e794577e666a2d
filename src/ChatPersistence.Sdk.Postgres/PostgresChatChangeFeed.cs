using System.Globalization;
using ChatPersistence.Sdk.ChangeFeed;
using ChatPersistence.Sdk.Internal;
using ChatPersistence.Sdk.Postgres.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace ChatPersistence.Sdk.Postgres;

/// <summary>
/// The change feed of a PostgreSQL (or Supabase) database: one dedicated connection per process <c>LISTEN</c>s on the
/// channel the schema's triggers notify (ids and sequences only), and hands each change to the watchers of its user or
/// session. Thread-safe; one instance serves any number of watchers.
/// </summary>
/// <remarks>
/// <para>
/// Reconnection and catch-up: when the connection is lost (server restart, network), the listener reconnects with
/// back-off, <c>LISTEN</c>s again and then reads the changes logged in <c>chat_private.chat_changes</c> by every
/// transaction that was not known to be finished before the loss (by transaction id), skipping what it already delivered
/// — so nothing committed while it was away is missed and nothing is delivered twice.
/// </para>
/// <para>
/// The connection must keep one server session: a direct connection or a session-mode pooler. Transaction-mode poolers
/// (PgBouncer in transaction mode, Supabase's port 6543) cannot <c>LISTEN</c>.
/// </para>
/// <para>
/// The listener connects when the first watch starts, or at <see cref="StartAsync"/>: a host that must not miss the
/// changes committed while the very first watch is being set up calls <see cref="StartAsync"/> at start-up.
/// </para>
/// </remarks>
public sealed class PostgresChatChangeFeed : IChatChangeFeed, IAsyncDisposable
{
    /// <summary>The notification channel the schema's triggers use.</summary>
    public const string Channel = "chat_changes";

    private const string ChangeColumns = "position, xid::text, kind, user_id, session_id, seq, message_id, is_favorite";
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
    private readonly Dictionary<long, ulong> _delivered = [];
    private Task? _run;
    private ulong? _horizon;
    private ulong? _nextHorizon;
    private List<(ChatChange Change, ulong Xid)>? _buffer;
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
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _logger = logger ?? NullLogger.Instance;
        _hub.FirstWatcher = () => _ = EnsureRunning();
    }

    /// <summary>How many watches are open on this feed.</summary>
    public int WatcherCount => _hub.Count;

    /// <summary>How many times the listener has (re)connected and caught up.</summary>
    public int ConnectionCount { get; private set; }

    /// <summary>Starts the listener (once) and waits until it is listening.</summary>
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
                rows.Add(ReadChange(reader).Change);
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
            _buffer = [];
            connection.Notification += OnNotification;
            await ExecuteAsync(connection, $"listen {Channel}", stopping).ConfigureAwait(false);

            // Catch up: every change of a transaction not known to be finished before the connection was lost. Notifications
            // that arrive meanwhile are buffered and delivered after, without the ones the catch-up already delivered.
            var caughtUp = 0;
            if (_horizon is { } horizon)
            {
                var command = new NpgsqlCommand($"select {ChangeColumns} from chat_private.chat_changes where xid >= $1::text::xid8 order by position", connection);
                await using var commandScope = command.ConfigureAwait(false);
                command.Parameters.AddWithValue(horizon.ToString(CultureInfo.InvariantCulture));
                var reader = await command.ExecuteReaderAsync(stopping).ConfigureAwait(false);
                await using var readerScope = reader.ConfigureAwait(false);
                while (await reader.ReadAsync(stopping).ConfigureAwait(false))
                {
                    var (change, xid) = ReadChange(reader);
                    if (Deliver(change, xid))
                    {
                        caughtUp++;
                    }
                }
            }

            var snapshotMin = await ReadSnapshotMinAsync(connection, stopping).ConfigureAwait(false);
            _horizon ??= snapshotMin;
            _nextHorizon = snapshotMin;
            var buffered = _buffer;
            _buffer = null;
            foreach (var (change, xid) in buffered)
            {
                Deliver(change, xid);
            }

            ConnectionCount++;
            FeedLog.Listening(_logger, caughtUp);
            _listening.TrySetResult();

            while (true)
            {
                if (!await connection.WaitAsync(_options.KeepAliveInterval, stopping).ConfigureAwait(false))
                {
                    await AdvanceHorizonAsync(connection, stopping).ConfigureAwait(false);
                }
            }
        }
    }

    // Every transaction older than the snapshot's xmin has finished; its changes were delivered by notification (the
    // connection was listening) once the listener has gone idle after seeing that xmin. So the horizon moves to the xmin
    // seen one keep-alive earlier, and the delivered set forgets what lies below it.
    private async Task AdvanceHorizonAsync(NpgsqlConnection connection, CancellationToken stopping)
    {
        var snapshotMin = await ReadSnapshotMinAsync(connection, stopping).ConfigureAwait(false);
        if (_nextHorizon is { } next)
        {
            _horizon = next;
            foreach (var position in _delivered.Where(d => d.Value < next).Select(d => d.Key).ToArray())
            {
                _delivered.Remove(position);
            }
        }

        _nextHorizon = snapshotMin;
        if (DateTimeOffset.UtcNow - _lastPrune > PruneInterval)
        {
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
    }

    private static async Task<ulong> ReadSnapshotMinAsync(NpgsqlConnection connection, CancellationToken stopping)
    {
        var command = new NpgsqlCommand("select pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot())::text", connection) { CommandTimeout = 15 };
        await using var scope = command.ConfigureAwait(false);
        var text = (string)(await command.ExecuteScalarAsync(stopping).ConfigureAwait(false))!;
        return ulong.Parse(text, CultureInfo.InvariantCulture);
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken stopping)
    {
        var command = new NpgsqlCommand(sql, connection);
        await using var scope = command.ConfigureAwait(false);
        await command.ExecuteNonQueryAsync(stopping).ConfigureAwait(false);
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        if (!string.Equals(e.Channel, Channel, StringComparison.Ordinal))
        {
            return;
        }

        if (!TryParse(e.Payload, out var change, out var xid))
        {
            FeedLog.Malformed(_logger);
            return;
        }

        if (_buffer is { } buffer)
        {
            buffer.Add((change, xid));
        }
        else
        {
            Deliver(change, xid);
        }
    }

    // Runs on the listener's loop only (notifications are raised while it reads the connection).
    private bool Deliver(ChatChange change, ulong xid)
    {
        if (!_delivered.TryAdd(change.Position, xid))
        {
            return false;
        }

        _hub.Publish(change);
        return true;
    }

    internal static bool TryParse(string payload, out ChatChange change, out ulong xid)
    {
        change = null!;
        xid = 0;
        var parts = payload.Split(',');
        if (parts.Length != 8
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var position)
            || !ulong.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out xid)
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var kind) || kind is < 1 or > 5
            || !Guid.TryParse(parts[3], out var user)
            || !Guid.TryParse(parts[4], out var session))
        {
            return false;
        }

        change = new ChatChange
        {
            Position = position,
            Kind = (ChatChangeKind)kind,
            UserId = user.ToString(),
            SessionId = session,
            Sequence = long.TryParse(parts[5], NumberStyles.None, CultureInfo.InvariantCulture, out var seq) ? seq : null,
            MessageId = Guid.TryParse(parts[6], out var message) ? message : null,
            IsFavorite = bool.TryParse(parts[7], out var favorite) ? favorite : null,
        };
        return true;
    }

    private static (ChatChange Change, ulong Xid) ReadChange(NpgsqlDataReader reader) => (new ChatChange
    {
        Position = reader.GetInt64(0),
        Kind = (ChatChangeKind)reader.GetInt16(2),
        UserId = reader.GetGuid(3).ToString(),
        SessionId = reader.GetGuid(4),
        Sequence = reader.IsDBNull(5) ? null : reader.GetInt64(5),
        MessageId = reader.IsDBNull(6) ? null : reader.GetGuid(6),
        IsFavorite = reader.IsDBNull(7) ? null : reader.GetBoolean(7),
    }, ulong.Parse(reader.GetString(1), CultureInfo.InvariantCulture));
}
