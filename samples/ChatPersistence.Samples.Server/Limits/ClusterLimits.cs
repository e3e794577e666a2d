using System.Threading.RateLimiting;
using RedisRateLimiting;
using StackExchange.Redis;

namespace ChatPersistence.Samples.Server.Limits;

/// <summary>
/// The partitions of every per-user limit, in one place: on Redis when <see cref="LimitsOptions.Redis"/> is set (the
/// RedisRateLimiting limiters, which ASP.NET Core's rate limiting runs like its own: one budget per user for the whole cluster,
/// at one Redis round trip per check), else in the process (the framework's limiters). Keys are prefixed <c>chat-limits:</c>.
/// </summary>
internal sealed class ClusterLimits : IDisposable
{
    private readonly Lazy<IConnectionMultiplexer>? _redis;

    public ClusterLimits(LimitsOptions limits) =>
        _redis = string.IsNullOrWhiteSpace(limits.Redis) ? null : new Lazy<IConnectionMultiplexer>(() => ConnectionMultiplexer.Connect(limits.Redis));

    /// <summary>Whether the limits are shared through Redis.</summary>
    public bool Shared => _redis is not null;

    /// <summary>A token bucket of <paramref name="perMinute"/>, refilled by a sixth every 10 seconds.</summary>
    public RateLimitPartition<string> TokenBucket(string key, int perMinute) => _redis is { } redis
        ? RedisRateLimitPartition.GetTokenBucketRateLimiter(Key(key), _ => new RedisTokenBucketRateLimiterOptions
        {
            ConnectionMultiplexerFactory = () => redis.Value,
            TokenLimit = perMinute,
            TokensPerPeriod = Math.Max(1, perMinute / 6),
            ReplenishmentPeriod = TimeSpan.FromSeconds(10),
        })
        : RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perMinute,
            TokensPerPeriod = Math.Max(1, perMinute / 6),
            ReplenishmentPeriod = TimeSpan.FromSeconds(10),
            QueueLimit = 0,
        });

    /// <summary>At most <paramref name="permits"/> held at once (a permit is held while a socket is open).</summary>
    public RateLimitPartition<string> Concurrency(string key, int permits) => _redis is { } redis
        ? RedisRateLimitPartition.GetConcurrencyRateLimiter(Key(key), _ => new RedisConcurrencyRateLimiterOptions
        {
            ConnectionMultiplexerFactory = () => redis.Value,
            PermitLimit = permits,
            QueueLimit = 0,
        })
        : RateLimitPartition.GetConcurrencyLimiter(key, _ => new ConcurrencyLimiterOptions { PermitLimit = permits, QueueLimit = 0 });

    /// <summary>At most <paramref name="permits"/> per fixed <paramref name="window"/>.</summary>
    public RateLimitPartition<string> FixedWindow(string key, int permits, TimeSpan window) => _redis is { } redis
        ? RedisRateLimitPartition.GetFixedWindowRateLimiter(Key(key), _ => new RedisFixedWindowRateLimiterOptions
        {
            ConnectionMultiplexerFactory = () => redis.Value,
            PermitLimit = permits,
            Window = window,
        })
        : RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = window, QueueLimit = 0 });

    public void Dispose()
    {
        if (_redis is { IsValueCreated: true } redis)
        {
            redis.Value.Dispose();
        }
    }

    private static string Key(string key) => "chat-limits:" + key;
}
