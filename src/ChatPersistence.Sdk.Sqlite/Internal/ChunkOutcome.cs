namespace ChatPersistence.Sdk.Sqlite.Internal;

/// <summary>What storing a reply's chunk did.</summary>
internal enum ChunkOutcome
{
    /// <summary>The text was appended as a new chunk.</summary>
    Appended,

    /// <summary>Exactly that text was already stored there (a retried flush): nothing stored, the lease renewed.</summary>
    Retried,

    /// <summary>Empty text: nothing stored, the lease renewed.</summary>
    Heartbeat,

    /// <summary>The text would take the reply over the size limit: nothing of it stored, the reply settled as interrupted.</summary>
    TooLarge,
}
