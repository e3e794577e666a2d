using Microsoft.Extensions.Caching.Memory;

namespace ChatPersistence.Sdk.Internal;

/// <summary>
/// The in-process tier of <see cref="ChatCache"/>: a private <see cref="MemoryCache"/> whose <c>SizeLimit</c> counts
/// entries. HybridCache sizes each entry by its serialized bytes; every entry here counts 1 instead, so
/// <see cref="Caching.ChatCachingOptions.SizeLimit"/> keeps its meaning (entries) and an entry HybridCache could not
/// serialize (no size) is still accepted.
/// </summary>
internal sealed class EntryCountingMemoryCache(int sizeLimit) : IMemoryCache
{
    private readonly MemoryCache _inner = new(new MemoryCacheOptions { SizeLimit = sizeLimit, CompactionPercentage = 0.25 });

    /// <summary>How many entries are held (for tests and docs).</summary>
    public int Count => _inner.Count;

    public ICacheEntry CreateEntry(object key) => new EntryCountingCacheEntry(_inner.CreateEntry(key));

    public bool TryGetValue(object key, out object? value) => _inner.TryGetValue(key, out value);

    public void Remove(object key) => _inner.Remove(key);

    public void Dispose() => _inner.Dispose();
}
