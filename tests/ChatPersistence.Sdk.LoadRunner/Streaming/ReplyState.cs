namespace ChatPersistence.Sdk.LoadRunner.Streaming;

/// <summary>What the streaming mode's coordinator knows of one reply while it streams (updated from its worker's lines).</summary>
internal sealed class ReplyState
{
    public required string User { get; init; }

    public required Guid Session { get; init; }

    public required Guid Reply { get; init; }

    public required int Worker { get; init; }

    public bool Begun { get; set; }

    public long Acknowledged { get; set; }

    public bool Ended { get; set; }

    public bool Killed { get; set; }

    public List<string> ReaderProblems { get; } = [];

    /// <summary>What the worker reported, with the time since the run began: printed for a reply that fails.</summary>
    public List<string> History { get; } = [];
}
