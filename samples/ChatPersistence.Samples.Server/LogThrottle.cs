using System.Threading.RateLimiting;

namespace ChatPersistence.Samples.Server;

/// <summary>
/// Rate-limits a log line that a client can provoke at will (a bad frame), so it cannot flood the log: a token bucket
/// (the framework's <see cref="TokenBucketRateLimiter"/>) of 20 lines, refilled by 20 a minute; what is dropped is counted
/// and reported with the next line that gets through. Thread-safe.
/// </summary>
internal sealed class LogThrottle : IDisposable
{
    private readonly TokenBucketRateLimiter _bucket = new(new TokenBucketRateLimiterOptions
    {
        TokenLimit = 20,
        TokensPerPeriod = 20,
        ReplenishmentPeriod = TimeSpan.FromMinutes(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    });

    private long _suppressed;

    /// <summary>Whether a line may be written now; <paramref name="suppressed"/> is how many were dropped since the last one.</summary>
    public bool TryAcquire(out long suppressed)
    {
        using var lease = _bucket.AttemptAcquire();
        if (!lease.IsAcquired)
        {
            Interlocked.Increment(ref _suppressed);
            suppressed = 0;
            return false;
        }

        suppressed = Interlocked.Exchange(ref _suppressed, 0);
        return true;
    }

    public void Dispose() => _bucket.Dispose();
}
