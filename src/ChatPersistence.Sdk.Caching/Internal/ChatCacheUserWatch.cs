using ChatPersistence.Sdk.ChangeFeed;

namespace ChatPersistence.Sdk.Internal;

/// <summary>One user's watch on the change feed, kept by <see cref="ChatCacheWatcher"/>.</summary>
internal sealed class ChatCacheUserWatch(string userId, CancellationToken stopping)
{
    private readonly CancellationTokenSource _stop = CancellationTokenSource.CreateLinkedTokenSource(stopping);

    public string UserId { get; } = userId;

    public CancellationToken Token => _stop.Token;

    /// <summary>Serializes the first subscription (callers wait until the watch is subscribed).</summary>
    public Lock Gate { get; } = new();

    /// <summary>The subscription was attempted; read and written under <see cref="Gate"/> or with <see cref="Volatile"/>.</summary>
    public bool Started;

    /// <summary>The loop that evicts this user's changes, or <see langword="null"/> when the feed refused the user.</summary>
    public Task? Run { get; set; }

    /// <summary>The last change position seen (resumes after a failure without missing anything the store still logs).</summary>
    public long? LastPosition { get; set; }

    /// <summary>The enumerator subscribed by <see cref="ChatCacheWatcher"/> (null after a failure, until it subscribes again).</summary>
    public IAsyncEnumerator<ChatChange>? Changes { get; set; }

    public void Stop()
    {
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
