using ChatPersistence.Sdk.ChangeFeed;
using Microsoft.Extensions.Logging;

namespace ChatPersistence.Sdk.Internal;

/// <summary>
/// Watches, on the store's <see cref="IChatChangeFeed"/>, every user whose data <see cref="ChatCache"/> reads (at most
/// <c>MaxWatchedUsers</c>, least recently read dropped first) and evicts the session each change names — on every host,
/// including the one that wrote. A watch starts synchronously before the first read it covers, so no change committed
/// after that read started can be missed. When a watch fails, the user's entries are evicted (changes may have been
/// missed), and it resubscribes with back-off (500 ms doubling to 30 s) after the last position seen, so the store replays
/// what happened meanwhile; a watch that ends or is dropped evicts the user too.
/// </summary>
internal sealed partial class ChatCacheWatcher : IAsyncDisposable
{
    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    private readonly IChatChangeFeed _feed;
    private readonly ChatCache _cache;
    private readonly int _capacity;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LinkedListNode<ChatCacheUserWatch>> _watches = new(StringComparer.Ordinal);
    private readonly LinkedList<ChatCacheUserWatch> _recent = new();
    private readonly HashSet<string> _refused = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _started;
    private bool _live;

    public ChatCacheWatcher(IChatChangeFeed feed, ChatCache cache, int capacity, TimeProvider time, ILogger logger)
    {
        _feed = feed;
        _cache = cache;
        _capacity = capacity;
        _time = time;
        _logger = logger;
        _started = StartFeedAsync();
    }

    /// <summary>
    /// Whether the feed is live (<see cref="IChatChangeFeed.StartAsync"/> completed). Until then a new watch could miss a
    /// change (PostgreSQL's listener is still connecting), so nothing is read from or written to the cache.
    /// </summary>
    public bool IsLive => Volatile.Read(ref _live);

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _watches.Count;
            }
        }
    }

    /// <summary>
    /// Makes sure the user is watched (subscribed before this returns) and marks them recently read. Returns the watch, or
    /// <see langword="null"/> when the feed refuses the user or the cache is being disposed.
    /// </summary>
    public ChatCacheUserWatch? Watch(string userId)
    {
        ChatCacheUserWatch watch;
        ChatCacheUserWatch? dropped = null;
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested || _refused.Contains(userId))
            {
                return null;
            }

            if (_watches.TryGetValue(userId, out var node))
            {
                if (node != _recent.First)
                {
                    _recent.Remove(node);
                    _recent.AddFirst(node);
                }

                watch = node.Value;
            }
            else
            {
                watch = new ChatCacheUserWatch(userId, _stopping.Token);
                _watches.Add(userId, _recent.AddFirst(watch));
                if (_watches.Count > _capacity)
                {
                    dropped = _recent.Last!.Value;
                    _recent.RemoveLast();
                    _watches.Remove(dropped.UserId);
                }
            }
        }

        // The dropped user's loop evicts its entries as it ends.
        dropped?.Stop();
        if (!Volatile.Read(ref watch.Started))
        {
            Start(watch);
        }

        return watch;
    }

    public async ValueTask DisposeAsync()
    {
        await DisposeWatchesAsync().ConfigureAwait(false);
        await _started.ConfigureAwait(false);
        _stopping.Dispose();
    }

    private async Task StartFeedAsync()
    {
        try
        {
            await _feed.StartAsync(_stopping.Token).ConfigureAwait(false);
            Volatile.Write(ref _live, true);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
        {
            // The cache or the feed is being disposed.
        }
        catch (Exception ex)
        {
            // The cache stays bypassed (reads go to the store), never wrong.
            LogWatchFailed(_logger, ex);
        }
    }

    private async Task DisposeWatchesAsync()
    {
        List<Task> running;
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                return;
            }

            _stopping.Cancel();
            running = _recent.Select(w => w.Run).OfType<Task>().ToList();
            _watches.Clear();
            _recent.Clear();
        }

        try
        {
            await Task.WhenAll(running).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Start(ChatCacheUserWatch watch)
    {
        lock (watch.Gate)
        {
            if (watch.Started)
            {
                return;
            }

            try
            {
                var first = Subscribe(watch);
                watch.Run = RunAsync(watch, first);
            }
            catch (ArgumentException ex)
            {
                // The feed refuses this user id (for example a PostgreSQL store's ids are UUIDs): the user's entries live
                // until they expire, as without a feed.
                LogUserNotWatchable(_logger, ex);
                lock (_gate)
                {
                    if (_refused.Count >= _capacity)
                    {
                        _refused.Clear(); // bounded: a refused id is asked again later
                    }

                    _refused.Add(watch.UserId);
                    if (_watches.Remove(watch.UserId, out var node))
                    {
                        _recent.Remove(node);
                    }
                }
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                LogWatchFailed(_logger, ex);
                watch.Run = RunAsync(watch, Task.FromException<bool>(ex));
            }

            Volatile.Write(ref watch.Started, true);
        }
    }

    // Subscribes synchronously: the SDK's feeds register the watch in the first MoveNextAsync call, before its first await.
    private Task<bool> Subscribe(ChatCacheUserWatch watch)
    {
        var changes = _feed.WatchAsync(watch.UserId, null, watch.LastPosition, watch.Token).GetAsyncEnumerator(watch.Token);
        watch.Changes = changes;
        return changes.MoveNextAsync().AsTask();
    }

    private async Task RunAsync(ChatCacheUserWatch watch, Task<bool> pending)
    {
        var delay = FirstRetryDelay;
        while (!watch.Token.IsCancellationRequested)
        {
            try
            {
                if (watch.Changes is null)
                {
                    pending = Subscribe(watch);

                    // Anything cached while the watch was down may have missed a change the replay does not cover.
                    await _cache.EvictUserAsync(watch.UserId).ConfigureAwait(false);
                }

                while (await pending.ConfigureAwait(false))
                {
                    var change = watch.Changes!.Current;
                    if (!change.IsVolatile)
                    {
                        watch.LastPosition = change.Position;
                    }

                    // A reply's growth and a stop request change nothing cached: a page holding a streaming reply is never
                    // cached. Its end (ReplyEnded) does, and evicts.
                    if (change.Kind is not (ChatChangeKind.ReplyGrew or ChatChangeKind.ReplyStopRequested))
                    {
                        await _cache.EvictSessionAsync(change.UserId, change.SessionId).ConfigureAwait(false);
                    }
                    delay = FirstRetryDelay;
                    pending = watch.Changes.MoveNextAsync().AsTask();
                }

                break; // the feed ended the watch (it is being disposed)
            }
            catch (OperationCanceledException) when (watch.Token.IsCancellationRequested)
            {
                break;
            }
            catch (ObjectDisposedException)
            {
                break; // the feed was disposed (the host is shutting down)
            }
            catch (Exception ex)
            {
                LogWatchFailed(_logger, ex);
                await _cache.EvictUserAsync(watch.UserId).ConfigureAwait(false);
                await DisposeChangesAsync(watch).ConfigureAwait(false);
                try
                {
                    await Task.Delay(delay, _time, watch.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                delay = delay * 2 > MaxRetryDelay ? MaxRetryDelay : delay * 2;
            }
        }

        await DisposeChangesAsync(watch).ConfigureAwait(false);
        lock (_gate)
        {
            if (_watches.TryGetValue(watch.UserId, out var node) && node.Value == watch)
            {
                _watches.Remove(watch.UserId);
                _recent.Remove(node);
            }
        }

        // No longer watched: what is cached for the user could miss the next change.
        if (!_stopping.IsCancellationRequested)
        {
            await _cache.EvictUserAsync(watch.UserId).ConfigureAwait(false);
        }
    }

    private static async Task DisposeChangesAsync(ChatCacheUserWatch watch)
    {
        if (watch.Changes is { } changes)
        {
            watch.Changes = null;
            try
            {
                await changes.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                // A failed feed may fail again as it is disposed; the watch is being replaced or ended either way.
            }
        }
    }

    [LoggerMessage(EventId = 1101, EventName = "CacheWatchFailed", Level = LogLevel.Warning,
        Message = "Chat cache: a change-feed watch failed; the user's cached entries were evicted and the watch resubscribes")]
    private static partial void LogWatchFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1103, EventName = "CacheUserNotWatchable", Level = LogLevel.Information,
        Message = "Chat cache: the change feed refused a user id; that user's entries are served until they expire")]
    private static partial void LogUserNotWatchable(ILogger logger, Exception exception);
}
