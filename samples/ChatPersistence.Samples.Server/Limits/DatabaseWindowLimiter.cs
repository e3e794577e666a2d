using System.Diagnostics;
using System.Threading.RateLimiting;

namespace ChatPersistence.Samples.Server.Limits;

/// <summary>
/// A fixed-window limiter whose count lives in PostgreSQL (<see cref="PostgresLimitCounters"/>), so that every instance of the
/// server shares it: at most <c>permits</c> per window for one key. Asynchronous only (each check is a database round trip): a
/// synchronous attempt fails, and ASP.NET Core's rate limiting then waits for <see cref="AcquireAsyncCore"/>, as with the Redis
/// limiters. Holds no state of its own, so the partitioned limiter may drop it when idle.
/// </summary>
internal sealed class DatabaseWindowLimiter(PostgresLimitCounters counters, string key, int permits, TimeSpan window) : RateLimiter
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

        var (acquired, retryAfter) = await counters.TryTakeAsync(key, permits, window, permitCount, cancellationToken).ConfigureAwait(false);
        return acquired ? WindowLease.Granted : WindowLease.Refused(retryAfter);
    }
}
