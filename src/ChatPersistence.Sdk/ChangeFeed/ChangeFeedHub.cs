using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using ChatPersistence.Sdk.ChangeFeed;

namespace ChatPersistence.Sdk.Internal;

/// <summary>
/// The in-process side of every change feed: watchers subscribe per user (optionally per session); a store or a listener
/// publishes each change once and the hub hands it to the matching watchers. Publishing is a dictionary lookup by user, so
/// the cost of a change does not grow with the number of other users watched. Volatile changes (a reply grew) are
/// coalesced per reply: at most one every <see cref="GrewInterval"/>, with the latest length.
/// </summary>
internal sealed class ChangeFeedHub
{
    /// <summary>The shortest time between two <see cref="ChatChangeKind.ReplyGrew"/> changes of one reply.</summary>
    public static readonly TimeSpan GrewInterval = TimeSpan.FromMilliseconds(100);

    // Replies whose growth is tracked at once; past it, the oldest entries are forgotten (a reply that grows again starts anew).
    private const int MaxTrackedReplies = 10_000;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<Watcher>> _byUser = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, Growth> _growth = [];
    private int _count;

    /// <summary>Raised (outside the lock) when the first watcher subscribes.</summary>
    public Action? FirstWatcher { get; set; }

    /// <summary>How many watchers are subscribed.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Hands a logged change to the watchers of its user (and session).</summary>
    /// <param name="change">The change; a <see cref="ChatChangeKind.ReplyGrew"/> goes through <see cref="PublishGrowth"/>.</param>
    public void Publish(ChatChange change)
    {
        if (change.IsVolatile)
        {
            PublishGrowth(change);
            return;
        }

        lock (_gate)
        {
            if (change.Kind == ChatChangeKind.ReplyEnded && change.MessageId is { } ended)
            {
                // No growth is reported after the end (a late one would only make readers fetch what they have).
                _growth.Remove(ended);
            }

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
                    watcher.LastPosition = Math.Max(watcher.LastPosition, change.Position);
                }
            }
        }
    }

    /// <summary>
    /// Reports that a reply grew (<see cref="ChatChangeKind.ReplyGrew"/>, with its <see cref="ChatChange.Length"/>): at once
    /// when the reply's last report is at least <see cref="GrewInterval"/> old, else once that interval is over, with the
    /// latest length. Each watcher gets it with the position of the last logged change it was given. Publishers may call it
    /// on every flush; a length that is not larger than the last one reported is dropped.
    /// </summary>
    /// <param name="change">The change (its <see cref="ChatChange.Position"/> is ignored).</param>
    public void PublishGrowth(ChatChange change)
    {
        if (change.MessageId is not { } id || change.Length is not { } length)
        {
            return;
        }

        TimeSpan wait;
        lock (_gate)
        {
            if (!_byUser.ContainsKey(change.UserId))
            {
                return;
            }

            var now = Stopwatch.GetTimestamp();
            if (!_growth.TryGetValue(id, out var growth))
            {
                if (_growth.Count >= MaxTrackedReplies)
                {
                    ForgetOldestGrowth();
                }

                _growth.Add(id, growth = new Growth());
            }
            else if (length <= growth.Reported || (growth.Pending is { } pending && length <= pending.Length))
            {
                return;
            }

            if (growth.Pending is not null)
            {
                growth.Pending = change; // a report is scheduled: it will carry this length
                return;
            }

            wait = GrewInterval - Stopwatch.GetElapsedTime(growth.ReportedAt, now);
            if (growth.ReportedAt == 0 || wait <= TimeSpan.Zero)
            {
                DeliverGrowth(change, growth, now);
                return;
            }

            growth.Pending = change;
        }

        _ = ReportLaterAsync(id, wait);
    }

    private async Task ReportLaterAsync(Guid id, TimeSpan wait)
    {
        await Task.Delay(wait).ConfigureAwait(false);
        lock (_gate)
        {
            if (_growth.TryGetValue(id, out var growth) && growth.Pending is { } pending)
            {
                growth.Pending = null;
                DeliverGrowth(pending, growth, Stopwatch.GetTimestamp());
            }
        }
    }

    // Under _gate.
    private void DeliverGrowth(ChatChange change, Growth growth, long now)
    {
        growth.Reported = change.Length!.Value;
        growth.ReportedAt = now;
        if (!_byUser.TryGetValue(change.UserId, out var watchers))
        {
            return;
        }

        foreach (var watcher in watchers)
        {
            if (watcher.SessionId is null || watcher.SessionId == change.SessionId)
            {
                watcher.Channel.Writer.TryWrite(change with { Position = watcher.LastPosition });
            }
        }
    }

    // Under _gate: drops the half of the entries reported longest ago (none with a report scheduled).
    private void ForgetOldestGrowth()
    {
        var oldest = _growth.Where(g => g.Value.Pending is null).OrderBy(g => g.Value.ReportedAt).Take(_growth.Count / 2).Select(g => g.Key).ToArray();
        foreach (var id in oldest)
        {
            _growth.Remove(id);
        }
    }

    /// <summary>The users watched now (a snapshot).</summary>
    /// <returns>Their ids.</returns>
    public string[] WatchedUsers()
    {
        lock (_gate)
        {
            return [.. _byUser.Keys];
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
        var watcher = Subscribe(userId, sessionId, afterPosition ?? 0);
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

                if (logged.Count > 0)
                {
                    lock (_gate)
                    {
                        watcher.LastPosition = Math.Max(watcher.LastPosition, logged[^1].Position);
                    }
                }
            }

            await foreach (var change in watcher.Channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                // Volatile changes are not logged, so never replayed: they always pass.
                if (replayed is not null && !change.IsVolatile && (change.Position <= afterPosition || replayed.Remove(change.Position)))
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

    private Watcher Subscribe(string userId, Guid? sessionId, long position)
    {
        var watcher = new Watcher(userId, sessionId) { LastPosition = position };
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

        // The position of the last logged change given to this watcher (under the hub's lock): a volatile change carries it.
        public long LastPosition { get; set; }

        public Channel<ChatChange> Channel { get; } = System.Threading.Channels.Channel.CreateUnbounded<ChatChange>(
            new UnboundedChannelOptions { SingleReader = true, SingleWriter = false });
    }

    // A reply's growth reports (under the hub's lock).
    private sealed class Growth
    {
        public long Reported { get; set; } = -1;

        public long ReportedAt { get; set; }

        public ChatChange? Pending { get; set; }
    }
}
