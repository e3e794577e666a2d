namespace ChatPersistence.Sdk;

/// <summary>Why a reply is <see cref="ChatReplyStatus.Stopped"/> or <see cref="ChatReplyStatus.Interrupted"/> (or, while streaming, that a stop was requested).</summary>
public enum ChatReplyReason
{
    /// <summary>No reason: the message is complete, or a streaming reply nobody asked to stop.</summary>
    None = 0,

    /// <summary><see cref="IChatSessionStore.StopReplyAsync"/> was called (from any instance or device).</summary>
    StopRequested = 1,

    /// <summary>The host stopped: the caller stopped reading the model's stream, or cancelled it.</summary>
    CallerStopped = 2,

    /// <summary>The producer (the model, a tool) failed; the reason detail says how.</summary>
    Failed = 3,

    /// <summary>The writer made no progress for the reply's lease: it crashed, hung or lost the store.</summary>
    LeaseExpired = 4,

    /// <summary>The reply reached <see cref="ChatPersistenceOptions.MaxContentBytes"/>; the text before the chunk that did not fit is kept.</summary>
    TooLarge = 5,
}
