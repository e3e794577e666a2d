using System.Collections.Concurrent;
using System.Threading.RateLimiting;

namespace ChatPersistence.Samples.Server;

/// <summary>
/// Rate-limits a log line that a client can provoke at will (a bad frame), so it cannot flood the log: per user and per kind
/// of line (the error code), a token bucket (the framework's partitioned <see cref="TokenBucketRateLimiter"/>) of 20 lines,
/// refilled by 20 a minute. One user's flood of bad frames therefore never hides another user's lines, nor the same user's
/// lines of another kind (a store failure behind a flood of malformed frames). What is dropped is counted and reported with
/// the next line of that user and kind that gets through. Thread-safe.
/// </summary>
internal sealed class LogThrottle : IDisposable
{
    private readonly PartitionedRateLimiter<string> _buckets = PartitionedRateLimiter.Create<string, string>(key => RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
    {
        TokenLimit = 20,
        TokensPerPeriod = 20,
        ReplenishmentPeriod = TimeSpan.FromMinutes(1),
        QueueLimit = 0,
        AutoReplenishment = true,
    }));

    private readonly ConcurrentDictionary<string, long> _suppressed = new(StringComparer.Ordinal);

    /// <summary>
    /// Whether a line of <paramref name="kind"/> about <paramref name="userId"/> may be written now; <paramref name="suppressed"/>
    /// is how many lines of that user and kind were dropped since the last one.
    /// </summary>
    public bool TryAcquire(string userId, string kind, out long suppressed)
    {
        var key = userId + "\n" + kind;
        using var lease = _buckets.AttemptAcquire(key);
        if (!lease.IsAcquired)
        {
            _suppressed.AddOrUpdate(key, 1, static (_, count) => count + 1);
            suppressed = 0;
            return false;
        }

        suppressed = _suppressed.TryRemove(key, out var count) ? count : 0;
        return true;
    }

    public void Dispose() => _buckets.Dispose();
}
