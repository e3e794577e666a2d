using System.Threading.RateLimiting;
using RedisRateLimiting;
using StackExchange.Redis;

namespace ChatPersistence.Samples.Server.Limits;

/// <summary>
/// The partitions of every per-user limit, in one place, on the shared state the deployment already has: on Redis when
/// <see cref="LimitsOptions.Redis"/> is set (the RedisRateLimiting limiters, one round trip per check); else, when the store is
/// PostgreSQL, in its database (<see cref="PostgresLimitCounters"/>: fixed windows, one upsert per check; the open-socket and
/// concurrent-PDF caps as held permits that expire unless renewed, <see cref="PostgresPermits"/>); else in the process (the framework's limiters). Redis keys are prefixed <c>chat-limits:</c>. A
/// shared limit that cannot be reached falls back to the in-process limiter of the same limit (<see cref="FallbackRateLimiter"/>).
/// </summary>
internal sealed class ClusterLimits : IDisposable
{
    private readonly Lazy<IConnectionMultiplexer>? _redis;
    private readonly PostgresLimitCounters? _database;
    private readonly PostgresPermits? _permits;
    private long _lastWarning;
    private long _retryAt;

    /// <param name="limits">The limits.</param>
    /// <param name="postgres">The PostgreSQL store's connection string, when the store is PostgreSQL.</param>
    public ClusterLimits(LimitsOptions limits, string? postgres = null)
    {
        if (!string.IsNullOrWhiteSpace(limits.Redis))
        {
            // Not aborting on a failed connect: the multiplexer reconnects in the background, and checks fall back meanwhile.
            var configuration = ConfigurationOptions.Parse(limits.Redis);
            configuration.AbortOnConnectFail = false;
            _redis = new Lazy<IConnectionMultiplexer>(() => ConnectionMultiplexer.Connect(configuration));
        }
        else if (limits.SharedInDatabase && !string.IsNullOrWhiteSpace(postgres))
        {
            _database = new PostgresLimitCounters(postgres);
            _permits = new PostgresPermits(_database, limits.HeldPermitExpiry, Failed);
        }
    }

    /// <summary>Where the limits are counted: <c>redis</c>, <c>database</c> or <c>process</c>.</summary>
    public string Mode => _redis is not null ? "redis" : _database is not null ? "database" : "process";

    /// <summary>The permits held in the database (database mode only).</summary>
    public PostgresPermits? Permits => _permits;

    /// <summary>Where failures of the shared state are logged (set once the host is built).</summary>
    public ILogger Logger { get; set; } = Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    /// <summary>A token bucket of <paramref name="perMinute"/>, refilled by a sixth every 10 seconds (in the database: a fixed minute).</summary>
    public RateLimitPartition<string> TokenBucket(string key, int perMinute)
    {
        var local = RateLimitPartition.GetTokenBucketLimiter(key, _ => new TokenBucketRateLimiterOptions
        {
            TokenLimit = perMinute,
            TokensPerPeriod = Math.Max(1, perMinute / 6),
            ReplenishmentPeriod = TimeSpan.FromSeconds(10),
            QueueLimit = 0,
        });
        return _redis is { } redis
            ? Shared(local, RedisRateLimitPartition.GetTokenBucketRateLimiter(Key(key), _ => new RedisTokenBucketRateLimiterOptions
            {
                ConnectionMultiplexerFactory = () => redis.Value,
                TokenLimit = perMinute,
                TokensPerPeriod = Math.Max(1, perMinute / 6),
                ReplenishmentPeriod = TimeSpan.FromSeconds(10),
            }))
            : _database is { } database
                ? Shared(local, RateLimitPartition.Get(key, k => (RateLimiter)new DatabaseWindowLimiter(database, k, perMinute, TimeSpan.FromMinutes(1))))
                : local;
    }

    /// <summary>At most <paramref name="permits"/> held at once (a permit is held while a socket is open or a PDF is built).</summary>
    public RateLimitPartition<string> Concurrency(string key, int permits)
    {
        var local = RateLimitPartition.GetConcurrencyLimiter(key, _ => new ConcurrencyLimiterOptions { PermitLimit = permits, QueueLimit = 0 });
        return _redis is { } redis
            ? Shared(local, RedisRateLimitPartition.GetConcurrencyRateLimiter(Key(key), _ => new RedisConcurrencyRateLimiterOptions
            {
                ConnectionMultiplexerFactory = () => redis.Value,
                PermitLimit = permits,
                QueueLimit = 0,
            }))
            : _permits is { } held
                ? Shared(local, RateLimitPartition.Get(key, k => (RateLimiter)new DatabasePermitLimiter(held, k, permits)))
                : local;
    }

    /// <summary>At most <paramref name="permits"/> per fixed <paramref name="window"/>.</summary>
    public RateLimitPartition<string> FixedWindow(string key, int permits, TimeSpan window)
    {
        var local = RateLimitPartition.GetFixedWindowLimiter(key, _ => new FixedWindowRateLimiterOptions { PermitLimit = permits, Window = window, QueueLimit = 0 });
        return _redis is { } redis
            ? Shared(local, RedisRateLimitPartition.GetFixedWindowRateLimiter(Key(key), _ => new RedisFixedWindowRateLimiterOptions
            {
                ConnectionMultiplexerFactory = () => redis.Value,
                PermitLimit = permits,
                Window = window,
            }))
            : _database is { } database
                ? Shared(local, RateLimitPartition.Get(key, k => (RateLimiter)new DatabaseWindowLimiter(database, k, permits, window)))
                : local;
    }

    public void Dispose()
    {
        if (_redis is { IsValueCreated: true } redis)
        {
            redis.Value.Dispose();
        }

        _permits?.Dispose();
        _database?.Dispose();
    }

    private RateLimitPartition<string> Shared<TShared>(RateLimitPartition<string> local, RateLimitPartition<TShared> shared) =>
        RateLimitPartition.Get(local.PartitionKey, _ => (RateLimiter)new FallbackRateLimiter(shared.Factory(shared.PartitionKey), local.Factory(local.PartitionKey), Reachable, Failed));

    // After a failure, the shared state is tried again after 10 seconds; meanwhile checks go straight to the instance's limiters.
    private bool Reachable() => Environment.TickCount64 >= Interlocked.Read(ref _retryAt);

    // One warning per 30 seconds per instance while the shared state is unreachable; no attempt for the next 10 seconds.
    private void Failed(Exception ex)
    {
        var now = Environment.TickCount64;
        Interlocked.Exchange(ref _retryAt, now + 10_000);
        var last = Interlocked.Read(ref _lastWarning);
        if ((last == 0 || now - last >= 30_000) && Interlocked.CompareExchange(ref _lastWarning, now, last) == last)
        {
            ServerLog.SharedLimitsUnreachable(Logger, Mode, ex.Message);
        }
    }

    private static string Key(string key) => "chat-limits:" + key;
}
