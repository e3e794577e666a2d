namespace ChatPersistence.Sdk.Internal;

/// <summary>
/// A small thread-safe LRU cache with a size limit (entry count) and absolute expiry on a <see cref="TimeProvider"/>,
/// so tests can drive time. Each entry carries the generations it was read under (see <see cref="CachingChatSessionStore"/>).
/// </summary>
internal sealed class BoundedCache
{
    private readonly Dictionary<string, LinkedListNode<CacheEntry>> _index = new(StringComparer.Ordinal);
    private readonly LinkedList<CacheEntry> _recency = new();
    private readonly int _capacity;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();

    public BoundedCache(int capacity, TimeProvider time)
    {
        _capacity = capacity;
        _time = time;
    }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _index.Count;
            }
        }
    }

    public bool TryGet(string key, out CacheEntry entry)
    {
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            if (_index.TryGetValue(key, out var node))
            {
                if (node.Value.ExpiresAt > now)
                {
                    _recency.Remove(node);
                    _recency.AddFirst(node);
                    entry = node.Value;
                    return true;
                }

                _recency.Remove(node);
                _index.Remove(key);
            }
        }

        entry = default;
        return false;
    }

    public void Set(string key, object value, long userGeneration, long globalGeneration, TimeSpan lifetime)
    {
        var entry = new CacheEntry(key, value, userGeneration, globalGeneration, _time.GetUtcNow() + lifetime);
        lock (_gate)
        {
            if (_index.TryGetValue(key, out var existing))
            {
                _recency.Remove(existing);
                _index.Remove(key);
            }

            while (_index.Count >= _capacity && _recency.Last is { } oldest)
            {
                _recency.RemoveLast();
                _index.Remove(oldest.Value.Key);
            }

            _index[key] = _recency.AddFirst(entry);
        }
    }
}
