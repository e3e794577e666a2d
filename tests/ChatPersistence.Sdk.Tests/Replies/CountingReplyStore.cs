using System.Collections.Concurrent;

namespace ChatPersistence.Sdk.Tests.Replies;

/// <summary>Counts and records the reply calls that reach the store; can drop the answer of chosen grows after they committed.</summary>
internal sealed class CountingReplyStore(IChatSessionStore inner) : DelegatingChatSessionStore(inner)
{
    private int _dropsLeft;

    public ConcurrentQueue<(long Offset, string Text)> Grows { get; } = new();

    public int GrowCount => Grows.Count;

    public int FinishCount { get; private set; }

    /// <summary>The next <paramref name="count"/> grows are committed by the inner store, then fail as a dropped connection would.</summary>
    public void DropAfterCommit(int count) => Volatile.Write(ref _dropsLeft, count);

    public override async Task<ChatReplyProgress> GrowReplyAsync(string userId, Guid messageId, long offset, string text, CancellationToken cancellationToken = default)
    {
        Grows.Enqueue((offset, text));
        var progress = await base.GrowReplyAsync(userId, messageId, offset, text, cancellationToken);
        if (Interlocked.Decrement(ref _dropsLeft) >= 0)
        {
            throw new ChatPersistenceException("Connection dropped after commit.") { IsTransient = true };
        }

        return progress;
    }

    public override Task<StoredChatMessage> FinishReplyAsync(string userId, Guid messageId, ChatReplyFinish finish, CancellationToken cancellationToken = default)
    {
        FinishCount++;
        return base.FinishReplyAsync(userId, messageId, finish, cancellationToken);
    }
}
