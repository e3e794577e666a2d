using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace ChatPersistence.Samples.Server.Limits;

/// <summary>
/// The per-user limits on sending over the WebSocket, with the framework's partitioned rate limiters: messages per minute
/// (token bucket), messages per day and bytes per day (fixed windows). Checked before anything is stored. Thread-safe.
/// </summary>
internal sealed class SendLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _rate;
    private readonly PartitionedRateLimiter<string> _daily;
    private readonly PartitionedRateLimiter<string> _dailyBytes;

    public SendLimiter(IOptions<LimitsOptions> options)
    {
        var limits = options.Value;
        _rate = PartitionedRateLimiter.Create<string, string>(user => RateLimitPartition.GetTokenBucketLimiter(user, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = limits.SendsPerMinute,
            TokensPerPeriod = Math.Max(1, limits.SendsPerMinute / 6),
            ReplenishmentPeriod = TimeSpan.FromSeconds(10),
            QueueLimit = 0,
        }));
        _daily = PartitionedRateLimiter.Create<string, string>(user => RateLimitPartition.GetFixedWindowLimiter(user, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = limits.DailyMessages,
            Window = TimeSpan.FromDays(1),
            QueueLimit = 0,
        }));
        _dailyBytes = PartitionedRateLimiter.Create<string, string>(user => RateLimitPartition.GetFixedWindowLimiter(user, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = limits.DailyMessageBytes,
            Window = TimeSpan.FromDays(1),
            QueueLimit = 0,
        }));
    }

    /// <summary>Takes one send of <paramref name="bytes"/> for <paramref name="userId"/>, or says which limit refuses it.</summary>
    /// <returns><see langword="null"/> when allowed; otherwise the error code and message for the client.</returns>
    public (string Code, string Message)? TryAcquire(string userId, int bytes)
    {
        using (var rate = _rate.AttemptAcquire(userId))
        {
            if (!rate.IsAcquired)
            {
                return ("rate_limited", "Too many messages: wait a few seconds and send again." + RetryAfter(rate));
            }
        }

        using (var daily = _daily.AttemptAcquire(userId))
        {
            if (!daily.IsAcquired)
            {
                return ("quota_exceeded", "The daily message limit of this server is reached." + RetryAfter(daily));
            }
        }

        using var size = _dailyBytes.AttemptAcquire(userId, Math.Max(1, bytes));
        return size.IsAcquired ? null : ("quota_exceeded", "The daily volume of message text of this server is reached." + RetryAfter(size));
    }

    public void Dispose()
    {
        _rate.Dispose();
        _daily.Dispose();
        _dailyBytes.Dispose();
    }

    private static string RetryAfter(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? $" Retry after {Math.Ceiling(after.TotalSeconds):0} s." : string.Empty;
}
