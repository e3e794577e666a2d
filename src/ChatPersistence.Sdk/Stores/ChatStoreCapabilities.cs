namespace ChatPersistence.Sdk;

/// <summary>What optional parts of the contract a store implements (<see cref="IChatSessionStore.Capabilities"/>).</summary>
/// <remarks>A store written for an earlier version of the contract reports <see cref="None"/> and refuses the new operations with <see cref="NotSupportedException"/>.</remarks>
public sealed record ChatStoreCapabilities
{
    /// <summary>No optional part.</summary>
    public static ChatStoreCapabilities None { get; } = new();

    /// <summary>Whether the store keeps replies while they are written (<see cref="IChatSessionStore.BeginReplyAsync"/> and the other reply operations).</summary>
    public bool Replies { get; init; }

    /// <summary>
    /// Whether the store keeps the session as a tree of versions (<see cref="NewChatMessage.ParentId"/>,
    /// <see cref="IChatSessionStore.GetSiblingsAsync"/>, <see cref="IChatSessionStore.SwitchBranchAsync"/>,
    /// <see cref="ChatHistoryRequest.LeafId"/>).
    /// </summary>
    public bool Branches { get; init; }

    /// <summary>How often a writer should store a streaming reply's new text at most, for this store. Default 200 ms.</summary>
    public TimeSpan ReplyFlushInterval { get; init; } = TimeSpan.FromMilliseconds(200);
}
