namespace ChatPersistence.Sdk.Sqlite.Internal;

/// <summary>
/// The tree state of a session as its row holds it: <see cref="ActiveRun"/> null = never branched (one run, the leaf is the
/// newest message); otherwise the start of the run holding the active leaf, the leaf, and the version of its runs.
/// </summary>
/// <param name="ActiveRun">The start seq of the run holding the active leaf, or <see langword="null"/> when the session never branched.</param>
/// <param name="LeafId">The active leaf (branched sessions only).</param>
/// <param name="LeafSeq">The active leaf's seq (branched sessions only).</param>
/// <param name="Version">The session's <c>path_version</c> (0 when never set).</param>
internal readonly record struct SqliteSessionPath(long? ActiveRun, Guid? LeafId, long? LeafSeq, long Version)
{
    /// <summary>Whether the session has runs (it branched at least once since it was created or cleared).</summary>
    public bool Branched => ActiveRun is not null;
}
