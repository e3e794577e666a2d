using ChatPersistence.Sdk.Caching;
using ChatPersistence.Sdk.ChangeFeed;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Caching.Hybrid;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ChatPersistence.Sdk.Internal;

/// <summary>
/// The cache behind <c>UseCaching()</c>: a private <see cref="HybridCache"/> (in-process tier bounded by
/// <see cref="ChatCachingOptions.SizeLimit"/>, plus the host's <see cref="IDistributedCache"/> as the shared second tier),
/// the keys and tags of every cached read, the generations that keep a read overlapping a write from being served stale,
/// and the change-feed watcher that evicts what other hosts change. One per service provider.
/// </summary>
/// <remarks>
/// <para>
/// Keys: <c>w</c> (user, workflow) → session id; <c>s</c> (user, session) → session; <c>h</c> (user, session, page size) →
/// newest page. Tags: every entry has <see cref="AllTag"/> and its user's tag; <c>s</c> and <c>h</c> entries also their
/// session's tag. A change of one session evicts that session's tag; an unknown outcome or a lost watch evicts the user's.
/// </para>
/// <para>
/// Generations (striped counters per user and per session, plus a global one) are bumped before and after each write of
/// this host and at each eviction. A cached read (a HybridCache factory) refuses to hand its result to HybridCache when a
/// generation moved while it read — HybridCache alone would store it, re-stamped as new, when the invalidation lands during
/// the read — and a caller serves an entry read by this instance only when it was read under a generation at least as
/// new as the one the caller started under. So nothing read before this host's write, or before an eviction the feed
/// delivered, is served after it.
/// </para>
/// </remarks>
internal sealed partial class ChatCache : IAsyncDisposable, IDisposable
{
    /// <summary>The prefix of every key and tag, in memory and in the distributed cache.</summary>
    public const string Prefix = "chatpersistence:";

    /// <summary>The tag every entry has (retention evicts it).</summary>
    public const string AllTag = Prefix + "all";

    private const int Stripes = 4096;
    private readonly long[] _userGenerations = new long[Stripes];
    private readonly long[] _sessionGenerations = new long[Stripes];
    private readonly long[] _userSessionWrites = new long[Stripes];
    private readonly ServiceProvider _cacheServices;
    private readonly EntryCountingMemoryCache _local;
    private readonly HybridCacheEntryOptions _entryOptions;
    private readonly ChatCacheWatcher? _watcher;
    private readonly ILogger _logger;
    private long _globalGeneration;

    public ChatCache(ChatCachingOptions options, IDistributedCache? distributedCache, IChatChangeFeed? feed, ILoggerFactory? loggerFactory, TimeProvider time)
    {
        _local = new EntryCountingMemoryCache(options.SizeLimit);
        _logger = loggerFactory?.CreateLogger(Diagnostics.ChatPersistenceDiagnostics.LoggerCategory) ?? NullLogger.Instance;

        // A private HybridCache: its memory tier is ours (bounded, and a wildcard or a host's own tags never touch it); the
        // distributed tier is the host's. Tag timestamps use the system clock: HybridCache compares them across hosts.
        var services = new ServiceCollection();
        services.AddSingleton<IMemoryCache>(_local);
        if (options.UseDistributedCache && distributedCache is not null and not MemoryDistributedCache)
        {
            services.AddSingleton(distributedCache);
            HasDistributedCache = true;
        }

        if (loggerFactory is not null)
        {
            services.AddSingleton(loggerFactory);
        }

        services.AddHybridCache(o => o.DefaultEntryOptions = new HybridCacheEntryOptions { Expiration = options.Expiration, LocalCacheExpiration = options.Expiration });
        _cacheServices = services.BuildServiceProvider();
        Cache = _cacheServices.GetRequiredService<HybridCache>();
        _entryOptions = new HybridCacheEntryOptions { Expiration = options.Expiration, LocalCacheExpiration = options.Expiration };
        if (feed is not null)
        {
            _watcher = new ChatCacheWatcher(feed, this, options.MaxWatchedUsers, time, _logger);
        }
    }

    public HybridCache Cache { get; }

    /// <summary>Identifies this instance in the entries it reads (generations mean something only here).</summary>
    public Guid Origin { get; } = Guid.NewGuid();

    public bool HasDistributedCache { get; }

    /// <summary>Entries in the in-process tier.</summary>
    public int LocalCount => _local.Count;

    /// <summary>False until the store's change feed is live (reads go to the store meanwhile); true without a feed.</summary>
    public bool IsLive => _watcher?.IsLive ?? true;

    /// <summary>Users watched on the change feed (0 without a feed).</summary>
    public int WatchedUsers => _watcher?.Count ?? 0;

    public static string WorkflowKey(string userId, string workflowId) => $"{Prefix}w:{userId.Length}:{userId}:{workflowId}";

    public static string SessionKey(string userId, Guid sessionId) => $"{Prefix}s:{userId.Length}:{userId}:{sessionId:N}";

    public static string PageKey(string userId, Guid sessionId, int pageSize) => $"{Prefix}h:{userId.Length}:{userId}:{sessionId:N}:{pageSize}";

    public static string UserTag(string userId) => Prefix + "u:" + userId;

    public static string SessionTag(Guid sessionId) => $"{Prefix}s:{sessionId:N}";

    /// <summary>The generation a read of the user (and session) runs under; it only grows.</summary>
    public long Generation(string userId, Guid? sessionId) =>
        Volatile.Read(ref _userGenerations[Stripe(userId)])
        + (sessionId is { } id ? Volatile.Read(ref _sessionGenerations[Stripe(id)]) : 0)
        + Volatile.Read(ref _globalGeneration);

    /// <summary>Changes whenever a generation of the user, of any of their sessions, or the global one moves.</summary>
    public long UserActivity(string userId)
    {
        var stripe = Stripe(userId);
        return Volatile.Read(ref _userGenerations[stripe]) + Volatile.Read(ref _userSessionWrites[stripe]) + Volatile.Read(ref _globalGeneration);
    }

    /// <summary>
    /// Returns the cached value of <paramref name="key"/>, or reads it with <paramref name="read"/> and caches it. The user's
    /// change-feed watch is in place before the read starts. A result <paramref name="cacheable"/> refuses, or a read that
    /// overlapped a write or eviction of the user or session, is returned to its caller and not cached. <c>readStarted</c>
    /// is the generation under which the value <c>read</c> returns was read, when it was read earlier in the same call.
    /// </summary>
    public async Task<T> GetOrReadAsync<T>(
        string userId,
        Guid? sessionId,
        string key,
        string[] tags,
        Func<CancellationToken, Task<T>> read,
        Func<T, bool>? cacheable,
        CancellationToken cancellationToken,
        long? readStarted = null)
    {
        ChatCacheUserWatch? watch = null;
        if (_watcher is { } watcher)
        {
            if (!watcher.IsLive)
            {
                return await read(cancellationToken).ConfigureAwait(false);
            }

            watch = watcher.Watch(userId);
        }

        var snapshot = Generation(userId, sessionId);
        var ranHere = false;
        T ownResult = default!;
        for (var attempt = 0; attempt < 2; attempt++)
        {
            CachedValue<T> entry;
            try
            {
                entry = await Cache.GetOrCreateAsync(
                    key,
                    async token =>
                    {
                        var started = readStarted ?? Generation(userId, sessionId);
                        var value = await read(token).ConfigureAwait(false);
                        ownResult = value;
                        ranHere = true;
                        if ((cacheable is not null && !cacheable(value)) || Generation(userId, sessionId) != started)
                        {
                            throw new ChatCacheBypassException();
                        }

                        return new CachedValue<T>(value, started, Origin);
                    },
                    _entryOptions,
                    tags,
                    cancellationToken).ConfigureAwait(false);
            }
            catch (ChatCacheBypassException)
            {
                // Nothing was stored. A read made during this call is good for this caller; one that another caller started
                // (and this one joined) may predate this caller, so read again.
                return ranHere ? ownResult : await read(cancellationToken).ConfigureAwait(false);
            }

            if (entry.Origin != Origin || entry.Generation >= snapshot)
            {
                if (watch is { Token.IsCancellationRequested: true })
                {
                    // The user's watch was dropped (MaxWatchedUsers) during this call, and its eviction may have run before
                    // this entry was stored: it would miss the next change. Forget it; the next read watches again.
                    BumpUser(userId);
                    await RemoveAsync(key).ConfigureAwait(false);
                }

                return entry.Value;
            }

            // Read here before a write or eviction that started before this call: drop it and read again (once).
            await RemoveAsync(key).ConfigureAwait(false);
        }

        return await read(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Marks the start (and then the end) of this host's write to a session.</summary>
    public void BumpSession(string userId, Guid sessionId)
    {
        Interlocked.Increment(ref _sessionGenerations[Stripe(sessionId)]);
        Interlocked.Increment(ref _userSessionWrites[Stripe(userId)]);
    }

    /// <summary>Marks the start (and then the end) of this host's write to a session not known before the write.</summary>
    public void BumpUser(string userId) => Interlocked.Increment(ref _userGenerations[Stripe(userId)]);

    /// <summary>Marks the start (and then the end) of a write that may touch any user (retention).</summary>
    public void BumpAll() => Interlocked.Increment(ref _globalGeneration);

    /// <summary>Evicts everything cached for a session (a write of this host, or a change the feed delivered).</summary>
    public Task EvictSessionAsync(string userId, Guid sessionId)
    {
        BumpSession(userId, sessionId);
        return RemoveTagAsync(SessionTag(sessionId));
    }

    /// <summary>Evicts everything cached for a user (an unknown outcome, or a watch lost or ended).</summary>
    public Task EvictUserAsync(string userId)
    {
        BumpUser(userId);
        return RemoveTagAsync(UserTag(userId));
    }

    /// <summary>Evicts every entry (retention deleted sessions of any user).</summary>
    public Task EvictAllAsync()
    {
        BumpAll();
        return RemoveTagAsync(AllTag);
    }

    public async ValueTask DisposeAsync()
    {
        if (_watcher is not null)
        {
            await _watcher.DisposeAsync().ConfigureAwait(false);
        }

        await _cacheServices.DisposeAsync().ConfigureAwait(false);
        _local.Dispose();
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private static int Stripe(string userId) => (int)((uint)StringComparer.Ordinal.GetHashCode(userId) % Stripes);

    private static int Stripe(Guid sessionId) => (int)((uint)sessionId.GetHashCode() % Stripes);

    // The in-process tier is invalidated before HybridCache writes the tag to the distributed tier, so a distributed cache
    // that is down costs only the cross-host hint (hosts with the feed do not need it).
    private async Task RemoveTagAsync(string tag)
    {
        try
        {
            await Cache.RemoveByTagAsync(tag, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            LogDistributedEvictionFailed(_logger, ex);
        }
    }

    /// <summary>Removes one entry from both tiers (a distributed cache that is down is logged, not thrown).</summary>
    public async Task RemoveAsync(string key)
    {
        try
        {
            await Cache.RemoveAsync(key, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _local.Remove(key);
            LogDistributedEvictionFailed(_logger, ex);
        }
    }

    [LoggerMessage(EventId = 1102, EventName = "CacheDistributedEvictionFailed", Level = LogLevel.Warning,
        Message = "Chat cache: an eviction could not be written to the distributed cache; this process evicted its own copy, other hosts rely on the change feed")]
    private static partial void LogDistributedEvictionFailed(ILogger logger, Exception exception);
}
