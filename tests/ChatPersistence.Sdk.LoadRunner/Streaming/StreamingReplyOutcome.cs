namespace ChatPersistence.Sdk.LoadRunner.Streaming;

/// <summary>One reply of a streaming run: what was produced and acknowledged, and what the database holds at the end.</summary>
public sealed record StreamingReplyOutcome
{
    /// <summary>The owner.</summary>
    public required string UserId { get; init; }

    /// <summary>The reply's session (it holds the question, then the reply).</summary>
    public required Guid SessionId { get; init; }

    /// <summary>The reply's id.</summary>
    public required Guid ReplyId { get; init; }

    /// <summary>Whether its writer process was killed.</summary>
    public required bool Killed { get; init; }

    /// <summary>Whether the begin was acknowledged to the writer.</summary>
    public required bool BeginAcknowledged { get; init; }

    /// <summary>The longest stored length a flush (or the end) acknowledged to the writer, in UTF-16 code units.</summary>
    public required long AcknowledgedLength { get; init; }

    /// <summary>Whether the writer was told the reply ended (its finish was acknowledged).</summary>
    public required bool EndAcknowledged { get; init; }

    /// <summary>The whole produced text (every chunk concatenated).</summary>
    public required string ProducedText { get; init; }

    /// <summary>The text stored at the end; <see langword="null"/> when the reply is not in the database.</summary>
    public string? StoredText { get; init; }

    /// <summary>Its status at the end.</summary>
    public ChatReplyStatus? Status { get; init; }

    /// <summary>Its reason at the end.</summary>
    public ChatReplyReason? Reason { get; init; }

    /// <summary>What the verification found wrong; empty when the reply passed.</summary>
    public required IReadOnlyList<string> Problems { get; init; }
}
