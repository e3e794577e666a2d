namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// <see cref="ChatInstances"/> whose offline assistant is slow (200 ms a word: an answer takes several seconds, time to
/// refresh, stop or kill an instance mid-answer) and whose replies have the shortest lease (5 s), so a reply whose instance
/// was killed reads as interrupted 5 s after its last flush.
/// </summary>
public sealed class SlowReplyInstances : ChatInstances
{
    protected override IEnumerable<string> MoreSettings =>
    [
        "--Chat:OfflineWordDelay", "00:00:00.200",
        "--ChatPersistence:Replies:Lease", "00:00:05",
    ];
}
