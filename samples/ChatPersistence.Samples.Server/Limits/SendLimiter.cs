using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace ChatPersistence.Samples.Server.Limits;

/// <summary>
/// The per-user limits on sending over the WebSocket, with the framework's partitioned rate limiters: messages per minute
/// (token bucket), messages per day and bytes per day (fixed windows), in the process or on Redis (<see cref="ClusterLimits"/>).
/// Checked before anything is stored. Thread-safe.
/// </summary>
internal sealed class SendLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _rate;
    private readonly PartitionedRateLimiter<string> _daily;
    private readonly PartitionedRateLimiter<string> _dailyBytes;
    private readonly PartitionedRateLimiter<string> _controls;

    public SendLimiter(IOptions<LimitsOptions> options, ClusterLimits cluster)
    {
        var limits = options.Value;
        _rate = PartitionedRateLimiter.Create<string, string>(user => cluster.TokenBucket("sends:" + user, limits.SendsPerMinute));
        _daily = PartitionedRateLimiter.Create<string, string>(user => cluster.FixedWindow("daily:" + user, limits.DailyMessages, TimeSpan.FromDays(1)));
        _dailyBytes = PartitionedRateLimiter.Create<string, string>(user => cluster.FixedWindow("daily-bytes:" + user, limits.DailyMessageBytes, TimeSpan.FromDays(1)));

        // A budget of the HTTP API's size for the socket's control frames (switch, stop), which write like the API's POSTs.
        _controls = PartitionedRateLimiter.Create<string, string>(user => cluster.TokenBucket("controls:" + user, limits.ApiRequestsPerMinute));
    }

    /// <summary>Takes one control frame (<c>switch</c>, <c>stop</c>) from the user's budget for them (<see cref="LimitsOptions.ApiRequestsPerMinute"/>), or says it is refused.</summary>
    /// <returns><see langword="null"/> when allowed; otherwise the error code and message for the client.</returns>
    public async ValueTask<(string Code, string Message)?> TryAcquireControlAsync(string userId, CancellationToken cancellationToken)
    {
        using var lease = await _controls.AcquireAsync(userId, 1, cancellationToken).ConfigureAwait(false);
        return lease.IsAcquired ? null : ("rate_limited", "Too many requests: slow down and retry." + RetryAfter(lease));
    }

    /// <summary>Takes one send of <paramref name="bytes"/> for <paramref name="userId"/>, or says which limit refuses it.</summary>
    /// <returns><see langword="null"/> when allowed; otherwise the error code and message for the client.</returns>
    /// <remarks>Asynchronous: on Redis each check is a round trip (the Redis limiters refuse synchronous acquisition).</remarks>
    public async ValueTask<(string Code, string Message)?> TryAcquireAsync(string userId, int bytes, CancellationToken cancellationToken)
    {
        using (var rate = await _rate.AcquireAsync(userId, 1, cancellationToken).ConfigureAwait(false))
        {
            if (!rate.IsAcquired)
            {
                return ("rate_limited", "Too many messages: wait a few seconds and send again." + RetryAfter(rate));
            }
        }

        using (var daily = await _daily.AcquireAsync(userId, 1, cancellationToken).ConfigureAwait(false))
        {
            if (!daily.IsAcquired)
            {
                return ("quota_exceeded", "The daily message limit of this server is reached." + RetryAfter(daily));
            }
        }

        using var size = await _dailyBytes.AcquireAsync(userId, Math.Max(1, bytes), cancellationToken).ConfigureAwait(false);
        return size.IsAcquired ? null : ("quota_exceeded", "The daily volume of message text of this server is reached." + RetryAfter(size));
    }

    public void Dispose()
    {
        _rate.Dispose();
        _daily.Dispose();
        _dailyBytes.Dispose();
        _controls.Dispose();
    }

    private static string RetryAfter(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? $" Retry after {Math.Ceiling(after.TotalSeconds):0} s." : string.Empty;
}
