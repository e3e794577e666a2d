using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ChatPersistence.Sdk.ChangeFeed;

namespace ChatPersistence.Sdk.Internal;

/// <summary>
/// The in-process side of every change feed: watchers subscribe per user (optionally per session); a store or a listener
/// publishes each change once and the hub hands it to the matching watchers. Publishing is a dictionary lookup by user, so
/// the cost of a change does not grow with the number of other users watched.
/// </summary>
internal sealed class ChangeFeedHub
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<Watcher>> _byUser = new(StringComparer.Ordinal);
    private int _count;

    /// <summary>Raised (outside the lock) when the first watcher subscribes.</summary>
    public Action? FirstWatcher { get; set; }

    /// <summary>How many watchers are subscribed.</summary>
    public int Count => Volatile.Read(ref _count);

    public void Publish(ChatChange change)
    {
        lock (_gate)
        {
            if (!_byUser.TryGetValue(change.UserId, out var watchers))
            {
                return;
            }

            foreach (var watcher in watchers)
            {
                if (watcher.SessionId is null || watcher.SessionId == change.SessionId)
                {
                    // Unbounded: a slow watcher buffers its own changes and never holds up the publisher or other watchers.
                    watcher.Channel.Writer.TryWrite(change);
                }
            }
        }
    }

    /// <summary>Ends every watch (the feed is being disposed).</summary>
    public void Complete()
    {
        lock (_gate)
        {
            foreach (var watcher in _byUser.Values.SelectMany(w => w))
            {
                watcher.Channel.Writer.TryComplete();
            }

            _byUser.Clear();
            _count = 0;
        }
    }

    /// <summary>
    /// Subscribes first, then replays the logged changes after <paramref name="afterPosition"/>, then yields the live
    /// changes that were not part of the replay — so nothing logged between the replay and the subscription is lost.
    /// </summary>
    public async IAsyncEnumerable<ChatChange> WatchAsync(
        string userId,
        Guid? sessionId,
        long? afterPosition,
        Func<string, Guid?, long, CancellationToken, Task<IReadOnlyList<ChatChange>>>? replay,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var watcher = Subscribe(userId, sessionId);
        try
        {
            HashSet<long>? replayed = null;
            if (afterPosition is { } after && replay is not null)
            {
                var logged = await replay(userId, sessionId, after, cancellationToken).ConfigureAwait(false);
                replayed = new HashSet<long>(logged.Count);
                foreach (var change in logged)
                {
                    replayed.Add(change.Position);
                    yield return change;
                }
            }

            await foreach (var change in watcher.Channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (replayed is not null && (change.Position <= afterPosition || replayed.Remove(change.Position)))
                {
                    continue;
                }

                yield return change;
            }
        }
        finally
        {
            Unsubscribe(watcher);
        }
    }

    private Watcher Subscribe(string userId, Guid? sessionId)
    {
        var watcher = new Watcher(userId, sessionId);
        bool first;
        lock (_gate)
        {
            if (!_byUser.TryGetValue(userId, out var watchers))
            {
                _byUser.Add(userId, watchers = []);
            }

            watchers.Add(watcher);
            first = ++_count == 1;
        }

        if (first)
        {
            FirstWatcher?.Invoke();
        }

        return watcher;
    }

    private void Unsubscribe(Watcher watcher)
    {
        lock (_gate)
        {
            if (_byUser.TryGetValue(watcher.UserId, out var watchers) && watchers.Remove(watcher))
            {
                _count--;
                if (watchers.Count == 0)
                {
                    _byUser.Remove(watcher.UserId);
                }
            }
        }

        watcher.Channel.Writer.TryComplete();
    }

    private sealed class Watcher(string userId, Guid? sessionId)
    {
        public string UserId { get; } = userId;

        public Guid? SessionId { get; } = sessionId;

        public Channel<ChatChange> Channel { get; } = System.Threading.Channels.Channel.CreateUnbounded<ChatChange>(
            new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
    }
}
