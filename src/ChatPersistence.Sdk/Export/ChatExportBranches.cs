namespace ChatPersistence.Sdk.Export;

/// <summary>Which messages of a session with versions an export writes (<see cref="ChatExportOptions.Branches"/>).</summary>
public enum ChatExportBranches
{
    /// <summary>The active path only: the conversation as the user sees it (every format). The default.</summary>
    ActivePath = 0,

    /// <summary>
    /// Every message of every version, in sequence order, each with its parent, and the active leaf: the whole tree, which
    /// <see cref="ChatImporter"/> restores intact (JSON only, format version 2; needs <see cref="ChatStoreCapabilities.Branches"/>).
    /// </summary>
    All = 1,
}
