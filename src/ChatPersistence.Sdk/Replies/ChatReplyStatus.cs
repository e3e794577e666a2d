namespace ChatPersistence.Sdk;

/// <summary>Where a message is in its life: every ordinary message is <see cref="Complete"/>; a reply stored while it is written is <see cref="Streaming"/> until it ends.</summary>
public enum ChatReplyStatus
{
    /// <summary>A finished message: every ordinary message, and every reply that ended normally.</summary>
    Complete = 0,

    /// <summary>A reply being written now; its content is the text stored so far (a prefix of the final text).</summary>
    Streaming = 1,

    /// <summary>A reply someone ended on purpose (Stop, or the host stopped reading); the text so far is kept.</summary>
    Stopped = 2,

    /// <summary>A reply that ended against everyone's will (the producer failed, the writer vanished, it grew too large); the text so far is kept.</summary>
    Interrupted = 3,
}
