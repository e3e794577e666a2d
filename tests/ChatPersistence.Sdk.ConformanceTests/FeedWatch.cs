using System.Diagnostics;
using ChatPersistence.Sdk.ChangeFeed;

namespace ChatPersistence.Sdk.ConformanceTests;

/// <summary>
/// A running watch of a change feed that records what it receives. The subscription is registered when the watch is
/// created (the first <c>MoveNextAsync</c> runs the iterator up to its first wait), so changes made afterwards are reported.
/// </summary>
public sealed class FeedWatch : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly List<ChatChange> _received = [];
    private readonly Task _pump;
    private readonly SemaphoreSlim _arrived = new(0);

    private FeedWatch(IChatChangeFeed feed, string userId, Guid? sessionId, long? afterPosition)
    {
        var enumerator = feed.WatchAsync(userId, sessionId, afterPosition, _stop.Token).GetAsyncEnumerator(_stop.Token);
        var first = enumerator.MoveNextAsync();
        _pump = PumpAsync(enumerator, first);
    }

    /// <summary>Everything received so far, in order.</summary>
    public IReadOnlyList<ChatChange> Received
    {
        get
        {
            lock (_received)
            {
                return _received.ToArray();
            }
        }
    }

    /// <summary>Starts watching.</summary>
    /// <param name="feed">The feed.</param>
    /// <param name="userId">The user.</param>
    /// <param name="sessionId">One session, or all.</param>
    /// <param name="afterPosition">Resume after this position.</param>
    /// <returns>The watch.</returns>
    public static FeedWatch Start(IChatChangeFeed feed, string userId, Guid? sessionId = null, long? afterPosition = null) =>
        new(feed, userId, sessionId, afterPosition);

    /// <summary>Waits until at least <paramref name="count"/> changes have arrived, then a short quiet period to catch extras.</summary>
    /// <param name="count">How many changes.</param>
    /// <param name="timeout">How long to wait at most (default 15 s).</param>
    /// <returns>The changes received.</returns>
    public async Task<IReadOnlyList<ChatChange>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(15);
        while (Received.Count < count)
        {
            if (_pump.IsFaulted)
            {
                await _pump;
            }

            var left = limit - deadline.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Expected {count} changes within {limit.TotalSeconds} s; received {Received.Count}: {string.Join(", ", Received.Select(c => $"{c.Kind}@{c.Position}"))}");
            }

            await _arrived.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }

        return Received;
    }

    /// <summary>Waits until what has arrived satisfies <paramref name="condition"/>.</summary>
    /// <param name="condition">The condition over everything received so far.</param>
    /// <param name="what">Says what is awaited, for the timeout's message.</param>
    /// <param name="timeout">How long to wait at most (default 15 s).</param>
    /// <returns>The changes received.</returns>
    public async Task<IReadOnlyList<ChatChange>> WaitUntilAsync(Func<IReadOnlyList<ChatChange>, bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(15);
        while (!condition(Received))
        {
            if (_pump.IsFaulted)
            {
                await _pump;
            }

            var left = limit - deadline.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Expected {what} within {limit.TotalSeconds} s; received: {string.Join(", ", Received.Select(c => $"{c.Kind}@{c.Position}/{c.Length}"))}");
            }

            await _arrived.WaitAsync(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
        }

        return Received;
    }

    /// <summary>Stops watching.</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _pump;
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task PumpAsync(IAsyncEnumerator<ChatChange> enumerator, ValueTask<bool> first)
    {
        await using (enumerator)
        {
            var next = first;
            while (await next)
            {
                lock (_received)
                {
                    _received.Add(enumerator.Current);
                }

                _arrived.Release();
                next = enumerator.MoveNextAsync();
            }
        }
    }
}
