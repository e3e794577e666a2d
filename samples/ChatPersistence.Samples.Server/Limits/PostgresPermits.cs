using System.Collections.Concurrent;
using Npgsql;
using NpgsqlTypes;

namespace ChatPersistence.Samples.Server.Limits;

/// <summary>
/// Permits held for a while (an open socket, a PDF being built) in the chat store's PostgreSQL, for the concurrency caps of a
/// cluster without Redis: one row per held permit (id, key, holder — this instance —, expires_at) in the sample's own table
/// <c>chat_server_limits.permits</c>, created with the counters (<see cref="PostgresLimitCounters"/>). An acquire is one round
/// trip of two statements in one implicit transaction: a transaction-level advisory lock on the key, then an insert guarded
/// by the count of the key's unexpired permits (the lock makes the count and the insert of two instances happen one after
/// the other; the insert is a statement of its own, so that its snapshot is taken once the lock is held). A release deletes
/// the row. Each instance renews the expiry of all the permits it holds with one update every third of the expiry, so the
/// permits of an instance that crashed free within the expiry; expired rows are deleted at the next acquire of their key and
/// by every instance's renewal. Thread-safe.
/// </summary>
internal sealed class PostgresPermits : IDisposable
{
    // The lock is released when the implicit transaction of the batch ends, after the insert. Expired rows of the key go
    // first; the count sees the rows other instances committed before the lock was granted.
    private const string Acquire = """
        select pg_advisory_xact_lock(hashtextextended('chat_server_limits.permits:' || @key, 0));
        with expired as (delete from chat_server_limits.permits where key = @key and expires_at <= now()),
        taken as (
            insert into chat_server_limits.permits (id, key, holder, expires_at)
            select @id, @key, @holder, now() + @expiry
            where (select count(*) from chat_server_limits.permits where key = @key and expires_at > now()) < @permits
            returning 1)
        select count(*)::int from taken
        """;

    // One statement per instance per tick for all its permits; it also deletes what this instance failed to release and
    // every row that expired (an instance that crashed). A permit of this instance that expired meanwhile (the database was
    // out of reach for longer than the expiry) is not revived: another instance may have taken its place.
    private const string Renew = """
        with renewed as (
            update chat_server_limits.permits set expires_at = now() + @expiry
            where holder = @holder and id = any(@held) and expires_at > now()
            returning 1),
        dropped as (
            delete from chat_server_limits.permits
            where (holder = @holder and id = any(@released)) or expires_at <= now())
        select count(*)::int from renewed
        """;

    private readonly PostgresLimitCounters _database;
    private readonly TimeSpan _expiry;
    private readonly Action<Exception> _failed;
    private readonly Guid _holder = Guid.NewGuid();
    private readonly ConcurrentDictionary<Guid, byte> _held = new();
    private readonly ConcurrentDictionary<Guid, byte> _released = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewal;
    private int _disposed;

    /// <param name="database">The counters' database (its connection pool and schema).</param>
    /// <param name="expiry">How long a permit lives without renewal; renewed every third of it.</param>
    /// <param name="failed">Told when a renewal or a release cannot reach the database.</param>
    public PostgresPermits(PostgresLimitCounters database, TimeSpan expiry, Action<Exception> failed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(expiry, TimeSpan.FromSeconds(1), nameof(expiry));
        (_database, _expiry, _failed) = (database, expiry, failed);
        _renewal = Task.Run(RenewAsync);
    }

    /// <summary>This instance's id in the <c>holder</c> column.</summary>
    public Guid Holder => _holder;

    /// <summary>The permits this instance holds now.</summary>
    public int HeldCount => _held.Count;

    /// <summary>Takes one of the <paramref name="permits"/> of <paramref name="key"/>, held until it is released.</summary>
    /// <returns>The held permit's id, or <see langword="null"/> when the key's permits are all held.</returns>
    public async Task<Guid?> TryAcquireAsync(string key, int permits, CancellationToken cancellationToken)
    {
        await _database.EnsureTableAsync(cancellationToken).ConfigureAwait(false);
        var id = Guid.NewGuid();
        _held[id] = 0; // before the insert: a renewal meanwhile must renew it
        try
        {
            await using var command = _database.Source.CreateCommand(Acquire);
            command.Parameters.AddWithValue("key", key);
            command.Parameters.AddWithValue("id", id);
            command.Parameters.AddWithValue("holder", _holder);
            command.Parameters.AddWithValue("expiry", _expiry);
            command.Parameters.AddWithValue("permits", (long)permits);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (reader.GetInt32(0) == 1)
            {
                return id;
            }

            _held.TryRemove(id, out _);
            return null;
        }
        catch
        {
            // Not renewed: if the insert committed after all, the row expires.
            _held.TryRemove(id, out _);
            throw;
        }
    }

    /// <summary>Gives a permit back (the row is deleted in the background; if that fails, it is not renewed and expires).</summary>
    public void Release(Guid id) => _ = ReleaseAsync(id);

    /// <summary>Gives a permit back and waits until its row is deleted (or the failure is recorded).</summary>
    public Task ReleaseAsync(Guid id) => _held.TryRemove(id, out _) ? DeleteAsync(id) : Task.CompletedTask;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        try
        {
            _renewal.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        _stop.Dispose();

        // Best effort on a graceful stop; what is left expires.
        try
        {
            using var command = _database.Source.CreateCommand("delete from chat_server_limits.permits where holder = @holder");
            command.Parameters.AddWithValue("holder", _holder);
            command.CommandTimeout = 5;
            command.ExecuteNonQuery();
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or InvalidOperationException)
        {
        }
    }

    private async Task DeleteAsync(Guid id)
    {
        try
        {
            await using var command = _database.Source.CreateCommand("delete from chat_server_limits.permits where id = @id");
            command.Parameters.AddWithValue("id", id);
            await command.ExecuteNonQueryAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            _released[id] = 0; // deleted by the next renewal, or expires
            if (ex is NpgsqlException or TimeoutException)
            {
                _failed(ex);
            }
        }
    }

    private async Task RenewAsync()
    {
        using var timer = new PeriodicTimer(_expiry / 3);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                if (_held.IsEmpty && _released.IsEmpty)
                {
                    continue;
                }

                var released = _released.Keys.ToArray();
                try
                {
                    await using var command = _database.Source.CreateCommand(Renew);
                    command.Parameters.AddWithValue("expiry", _expiry);
                    command.Parameters.AddWithValue("holder", _holder);
                    command.Parameters.Add(new NpgsqlParameter<Guid[]>("held", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { TypedValue = _held.Keys.ToArray() });
                    command.Parameters.Add(new NpgsqlParameter<Guid[]>("released", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { TypedValue = released });
                    await command.ExecuteNonQueryAsync(_stop.Token).ConfigureAwait(false);
                    foreach (var id in released)
                    {
                        _released.TryRemove(id, out _);
                    }
                }
                catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
                {
                    _failed(ex);
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }
}
