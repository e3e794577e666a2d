namespace ChatPersistence.Sdk;

/// <summary>What <see cref="IChatSessionStore.GrowReplyAsync"/> stored: the reply's length and lease after the call.</summary>
public sealed record ChatReplyProgress
{
    /// <summary>The stored length after the call, in UTF-16 code units of the text as written.</summary>
    public required long Length { get; init; }

    /// <summary>When the reply reads as interrupted unless its writer makes progress before.</summary>
    public required DateTimeOffset LeaseExpiresAt { get; init; }

    /// <summary>Whether someone asked to stop the reply (<see cref="IChatSessionStore.StopReplyAsync"/>): the writer should end it now.</summary>
    public bool StopRequested { get; init; }

    /// <summary>
    /// The reply's status as the store found it: always <see cref="ChatReplyStatus.Streaming"/> when returned to a caller of
    /// <see cref="IChatSessionStore.GrowReplyAsync"/>. A store's core method reports an ended reply here (with
    /// <see cref="Reason"/>), and <see cref="ChatSessionStore"/> turns that into <see cref="ChatReplyEndedException"/>.
    /// </summary>
    public ChatReplyStatus Status { get; init; } = ChatReplyStatus.Streaming;

    /// <summary>Why the reply ended, when <see cref="Status"/> says it has.</summary>
    public ChatReplyReason Reason { get; init; }
}
