using ChatPersistence.Sdk;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// A store whose history reads, once <see cref="Hold"/> was called, pass only the first <c>pages</c> pages and hold every
/// later one until <see cref="Release"/>: an export that reaches the client before its later pages are read is streamed.
/// </summary>
internal sealed class HeldPagesStore(IChatSessionStore inner) : DelegatingChatSessionStore(inner)
{
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _pagesLeft = int.MaxValue;

    /// <summary>From now on, lets <paramref name="pages"/> history pages through and holds the rest.</summary>
    public void Hold(int pages) => Volatile.Write(ref _pagesLeft, pages);

    /// <summary>Lets every held and later page through.</summary>
    public void Release() => _released.TrySetResult();

    public override async Task<ChatMessagePage> GetMessagesAsync(string userId, Guid sessionId, ChatHistoryRequest? request = null, CancellationToken cancellationToken = default)
    {
        if (Interlocked.Decrement(ref _pagesLeft) < 0)
        {
            await _released.Task.WaitAsync(cancellationToken);
        }

        return await base.GetMessagesAsync(userId, sessionId, request, cancellationToken);
    }
}
