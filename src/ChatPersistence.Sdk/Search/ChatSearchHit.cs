namespace ChatPersistence.Sdk;

/// <summary>A message found by a search, with its relevance and a snippet around the match.</summary>
public sealed record ChatSearchHit
{
    /// <summary>The matching message.</summary>
    public required StoredChatMessage Message { get; init; }

    /// <summary>The workflow of the session the message belongs to.</summary>
    public required string WorkflowId { get; init; }

    /// <summary>The relevance: higher is better. Comparable only within one result list.</summary>
    public required double Rank { get; init; }

    /// <summary>A short excerpt of the message around the match (plain text, never markup).</summary>
    public required string Snippet { get; init; }

    /// <summary>The matched parts of <see cref="Snippet"/>, in order and not overlapping; render them highlighted.</summary>
    public required IReadOnlyList<ChatTextSpan> Highlights { get; init; }

    /// <summary>Whether the message is on its session's active path (<see langword="false"/>: it is on another version).</summary>
    public bool IsOnActivePath { get; init; } = true;
}
