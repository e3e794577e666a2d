using Npgsql;

namespace ChatPersistence.Samples.Server.Limits;

/// <summary>
/// Per-user counters in the chat store's PostgreSQL, for the limits of a cluster without Redis: one row per (key, window) in the
/// sample's own table <c>chat_server_limits.counters</c> (created at first use, under an advisory lock so that instances starting
/// together do not race), taken with one atomic <c>INSERT … ON CONFLICT DO UPDATE … RETURNING</c> per check. Windows are fixed and
/// aligned on the database's clock, so every instance counts in the same window. Rows of windows over two days old are deleted
/// at most once an hour per instance. The same schema holds the permits of the held limits (<see cref="PostgresPermits"/>).
/// Thread-safe.
/// </summary>
internal sealed class PostgresLimitCounters : IDisposable
{
    private const string Schema = """
        select pg_advisory_xact_lock(hashtext('chat_server_limits'));
        create schema if not exists chat_server_limits;
        create table if not exists chat_server_limits.counters (
            key text not null,
            window_start timestamptz not null,
            used bigint not null,
            primary key (key, window_start));
        create table if not exists chat_server_limits.permits (
            id uuid primary key,
            key text not null,
            holder uuid not null,
            expires_at timestamptz not null);
        create index if not exists permits_key on chat_server_limits.permits (key, expires_at);
        create index if not exists permits_holder on chat_server_limits.permits (holder);
        """;

    // The window starts at a multiple of its length since the epoch, on the database's clock. A take that would pass the limit
    // changes nothing (the update's WHERE), so a refused request does not use up the budget.
    private const string Take = """
        with w as (select to_timestamp(floor(extract(epoch from now()) / @seconds) * @seconds) as start),
        taken as (
            insert into chat_server_limits.counters as c (key, window_start, used)
            select @key, w.start, @count from w where @count <= @permits
            on conflict (key, window_start) do update set used = c.used + excluded.used
            where c.used + excluded.used <= @permits
            returning c.used)
        select exists (select 1 from taken), extract(epoch from (select start from w) + make_interval(secs => @seconds) - now())::float8
        """;

    private readonly NpgsqlDataSource _source;
    private readonly SemaphoreSlim _created = new(1, 1);
    private volatile bool _exists;
    private long _lastCleanup;

    public PostgresLimitCounters(string connectionString) => _source = NpgsqlDataSource.Create(connectionString);

    /// <summary>The connection pool to the database.</summary>
    public NpgsqlDataSource Source => _source;

    /// <summary>Takes <paramref name="count"/> of <paramref name="permits"/> in the current <paramref name="window"/> of <paramref name="key"/>.</summary>
    /// <returns>Whether they were taken, and the time until the window ends.</returns>
    public async Task<(bool Acquired, TimeSpan RetryAfter)> TryTakeAsync(string key, int permits, TimeSpan window, int count, CancellationToken cancellationToken)
    {
        await EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        await using var command = _source.CreateCommand(Take);
        command.Parameters.AddWithValue("key", key);
        command.Parameters.AddWithValue("seconds", window.TotalSeconds);
        command.Parameters.AddWithValue("count", (long)count);
        command.Parameters.AddWithValue("permits", (long)permits);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        var result = (reader.GetBoolean(0), TimeSpan.FromSeconds(Math.Max(0, reader.GetDouble(1))));
        await reader.DisposeAsync().ConfigureAwait(false);
        await CleanUpAsync(cancellationToken).ConfigureAwait(false);
        return result;
    }

    public void Dispose()
    {
        _source.Dispose();
        _created.Dispose();
    }

    /// <summary>Creates the schema and its tables once per instance (under an advisory lock).</summary>
    public async Task EnsureTableAsync(CancellationToken cancellationToken)
    {
        if (_exists)
        {
            return;
        }

        await _created.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_exists)
            {
                await using var connection = await _source.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (var command = new NpgsqlCommand(Schema, connection, transaction))
                {
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }

                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                _exists = true;
            }
        }
        finally
        {
            _created.Release();
        }
    }

    private async Task CleanUpAsync(CancellationToken cancellationToken)
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _lastCleanup);
        if ((last != 0 && now - last < 3_600_000) || Interlocked.CompareExchange(ref _lastCleanup, now, last) != last)
        {
            return;
        }

        await using var command = _source.CreateCommand("delete from chat_server_limits.counters where window_start < now() - interval '2 days'");
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
