namespace ChatPersistence.Sdk.Benchmarks;

/// <summary>A session seeded by <see cref="BranchSeed"/>: its shape, and the messages the benchmarks address.</summary>
/// <param name="SessionId">The session.</param>
/// <param name="Messages">N, every branch included.</param>
/// <param name="BranchPoints">B: forks, one per 1,000 messages.</param>
/// <param name="RunLength">L = N / (B + 1).</param>
/// <param name="FirstSequence">The sequence number of message g = 1.</param>
public sealed record BranchedSession(Guid SessionId, int Messages, int BranchPoints, int RunLength, long FirstSequence)
{
    /// <summary>The number of messages on the active path.</summary>
    public int PathLength => Messages - (BranchPoints * BranchSeed.Tail);

    /// <summary>The leaf (the newest message, g = N).</summary>
    public Guid LeafId => BranchSeed.MessageId(SessionId, Messages);

    /// <summary>The g of every message of the active path, oldest first.</summary>
    public IEnumerable<long> PathPositions()
    {
        for (var k = 0; k <= BranchPoints; k++)
        {
            var from = ((long)k * RunLength) + 1;
            var to = k < BranchPoints ? ((long)(k + 1) * RunLength) - BranchSeed.Tail : Messages;
            for (var g = from; g <= to; g++)
            {
                yield return g;
            }
        }
    }

    /// <summary>The sequence number of the message in the middle of the active path.</summary>
    public long MiddleSequence => FirstSequence + PathPositions().ElementAt(PathLength / 2) - 1;

    /// <summary>
    /// Fork k (1..B): its two versions — the old one (the parent's implicit child, first of the 10 left behind) and the new
    /// one (the head of run k, on the active path).
    /// </summary>
    public (Guid Old, Guid New) Fork(int k) =>
        (BranchSeed.MessageId(SessionId, ((long)k * RunLength) - BranchSeed.Tail + 1), BranchSeed.MessageId(SessionId, ((long)k * RunLength) + 1));
}
