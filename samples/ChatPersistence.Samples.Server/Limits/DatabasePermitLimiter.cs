using System.Diagnostics;
using System.Threading.RateLimiting;

namespace ChatPersistence.Samples.Server.Limits;

/// <summary>
/// A concurrency limiter whose permits live in PostgreSQL (<see cref="PostgresPermits"/>), so that every instance of the server
/// shares it: at most <c>permits</c> held at once for one key, a permit held until its lease is disposed (one permit a lease). Asynchronous only
/// (each acquire is a database round trip): a synchronous attempt fails, and ASP.NET Core's rate limiting then waits for
/// <see cref="AcquireAsyncCore"/>. Holds no state of its own (the leases belong to <see cref="PostgresPermits"/>), so the
/// partitioned limiter may drop it when idle.
/// </summary>
internal sealed class DatabasePermitLimiter(PostgresPermits held, string key, int permits) : RateLimiter
{
    private long _lastUse = Stopwatch.GetTimestamp();

    /// <inheritdoc />
    public override TimeSpan? IdleDuration => Stopwatch.GetElapsedTime(Interlocked.Read(ref _lastUse));

    /// <inheritdoc />
    public override RateLimiterStatistics? GetStatistics() => null;

    /// <inheritdoc />
    protected override RateLimitLease AttemptAcquireCore(int permitCount) => WindowLease.Refused(null);

    /// <inheritdoc />
    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        Interlocked.Exchange(ref _lastUse, Stopwatch.GetTimestamp());
        if (permitCount == 0)
        {
            return WindowLease.Granted;
        }

        // One permit a lease (a socket, an export): a row is one permit.
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permitCount, 1);
        var id = await held.TryAcquireAsync(key, permits, cancellationToken).ConfigureAwait(false);
        return id is { } permit ? new PermitLease(held, permit) : WindowLease.Refused(null);
    }
}
