using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Primitives;

namespace ChatPersistence.Sdk.Internal;

/// <summary>A <see cref="ICacheEntry"/> whose size is always 1 (see <see cref="EntryCountingMemoryCache"/>).</summary>
internal sealed class EntryCountingCacheEntry : ICacheEntry
{
    private readonly ICacheEntry _inner;

    public EntryCountingCacheEntry(ICacheEntry inner)
    {
        _inner = inner;
        _inner.Size = 1;
    }

    public object Key => _inner.Key;

    public object? Value
    {
        get => _inner.Value;
        set => _inner.Value = value;
    }

    public DateTimeOffset? AbsoluteExpiration
    {
        get => _inner.AbsoluteExpiration;
        set => _inner.AbsoluteExpiration = value;
    }

    public TimeSpan? AbsoluteExpirationRelativeToNow
    {
        get => _inner.AbsoluteExpirationRelativeToNow;
        set => _inner.AbsoluteExpirationRelativeToNow = value;
    }

    public TimeSpan? SlidingExpiration
    {
        get => _inner.SlidingExpiration;
        set => _inner.SlidingExpiration = value;
    }

    public IList<IChangeToken> ExpirationTokens => _inner.ExpirationTokens;

    public IList<PostEvictionCallbackRegistration> PostEvictionCallbacks => _inner.PostEvictionCallbacks;

    public CacheItemPriority Priority
    {
        get => _inner.Priority;
        set => _inner.Priority = value;
    }

    // Every entry counts 1 against the entry limit, whatever size HybridCache computed.
    public long? Size
    {
        get => 1;
        set { }
    }

    public void Dispose() => _inner.Dispose();
}
