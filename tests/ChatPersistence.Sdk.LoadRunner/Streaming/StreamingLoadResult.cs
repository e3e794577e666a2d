namespace ChatPersistence.Sdk.LoadRunner.Streaming;

/// <summary>The figures and the verification of a streaming run.</summary>
public sealed record StreamingLoadResult
{
    /// <summary>The database the run wrote (superuser connection string), for a caller that checks it again.</summary>
    public required string ConnectionString { get; init; }

    /// <summary>Every reply, verified against the database.</summary>
    public required IReadOnlyList<StreamingReplyOutcome> Replies { get; init; }

    /// <summary>Worker processes killed.</summary>
    public required int Kills { get; init; }

    /// <summary>Whether PostgreSQL was restarted while the replies streamed.</summary>
    public required bool Restarted { get; init; }

    /// <summary>How long the restart took (stop, start, recovery).</summary>
    public required TimeSpan RestartDuration { get; init; }

    /// <summary>Transient failures the writers retried (begins, flushes and ends).</summary>
    public required int Retries { get; init; }

    /// <summary>Reads by the reader that resumes every fifth reply from the length it has while they stream.</summary>
    public required int ReaderReads { get; init; }

    /// <summary>Flushes (grows with text) the store acknowledged.</summary>
    public required int Flushes { get; init; }

    /// <summary>From the first begin to the last end.</summary>
    public required TimeSpan StreamingTime { get; init; }

    /// <summary>Whole chunks in the stored texts at the end.</summary>
    public required long ChunksStored { get; init; }

    /// <summary>Characters (UTF-16 code units) of stored text checked.</summary>
    public required long CharactersVerified { get; init; }

    /// <summary>Median flush latency (one grow round trip, acknowledged ones).</summary>
    public required double FlushP50Milliseconds { get; init; }

    /// <summary>99th percentile flush latency.</summary>
    public required double FlushP99Milliseconds { get; init; }

    /// <summary>Mean of the chunk rates the surviving writers achieved (chunks per second per reply).</summary>
    public required double ChunksPerSecondPerReply { get; init; }

    /// <summary>Whether every reply passed the verification.</summary>
    public bool Verified => Replies.All(r => r.Problems.Count == 0);
}
