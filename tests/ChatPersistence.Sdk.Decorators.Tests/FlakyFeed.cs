using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using ChatPersistence.Sdk.ChangeFeed;

namespace ChatPersistence.Sdk.Decorators.Tests;

/// <summary>
/// A change feed over a real one that the test can break: <see cref="Break"/> makes every open watch throw (as a lost
/// connection would), and <see cref="RefusedUsers"/> are refused with <see cref="ArgumentException"/> (as PostgreSQL refuses
/// non-UUID ids), and <see cref="Started"/> holds the feed back from being live (as PostgreSQL's listener connecting).
/// Records each subscription's <c>afterPosition</c>.
/// </summary>
public sealed class FlakyFeed(IChatChangeFeed inner) : IChatChangeFeed
{
    private TaskCompletionSource _broken = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ConcurrentQueue<(string UserId, long? AfterPosition)> Subscriptions { get; } = new();

    public HashSet<string> RefusedUsers { get; } = [];

    /// <summary>Completes <see cref="StartAsync"/> (already completed unless the test replaces it).</summary>
    public TaskCompletionSource Started { get; set; } = CompletedSource();

    public Task StartAsync(CancellationToken cancellationToken = default) => Started.Task.WaitAsync(cancellationToken);

    /// <summary>Fails every watch open now; later subscriptions work.</summary>
    public void Break()
    {
        var broken = _broken;
        _broken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        broken.SetException(new InvalidOperationException("The feed's connection was lost (test)."));
    }

    public IAsyncEnumerable<ChatChange> WatchAsync(string userId, Guid? sessionId = null, long? afterPosition = null, CancellationToken cancellationToken = default)
    {
        if (RefusedUsers.Contains(userId))
        {
            throw new ArgumentException("This feed refuses the user id (test).", nameof(userId));
        }

        Subscriptions.Enqueue((userId, afterPosition));
        return WatchCoreAsync(inner.WatchAsync(userId, sessionId, afterPosition, cancellationToken), _broken.Task, cancellationToken);
    }

    private static TaskCompletionSource CompletedSource()
    {
        var source = new TaskCompletionSource();
        source.SetResult();
        return source;
    }

    private static async IAsyncEnumerable<ChatChange> WatchCoreAsync(IAsyncEnumerable<ChatChange> changes, Task broken, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var enumerator = changes.GetAsyncEnumerator(cancellationToken);
        var next = enumerator.MoveNextAsync().AsTask();
        while (true)
        {
            await Task.WhenAny(next, broken);
            if (broken.IsFaulted)
            {
                await broken; // throws
            }

            if (!await next)
            {
                yield break;
            }

            yield return enumerator.Current;
            next = enumerator.MoveNextAsync().AsTask();
        }
    }
}
