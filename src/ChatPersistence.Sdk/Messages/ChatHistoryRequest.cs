namespace ChatPersistence.Sdk;

/// <summary>Which page of a session's history to read.</summary>
/// <remarks>
/// Without a <see cref="Cursor"/>, the page is the <see cref="PageSize"/> newest (or oldest, see <see cref="Start"/>) messages.
/// With a cursor taken from a previous <see cref="ChatMessagePage"/> (<see cref="ChatMessagePage.OlderCursor"/> or
/// <see cref="ChatMessagePage.NewerCursor"/>), the page continues from there and <see cref="Start"/> is ignored.
/// Cursors stay valid while new messages arrive.
/// </remarks>
public sealed record ChatHistoryRequest
{
    /// <summary>The default page size, 50.</summary>
    public const int DefaultPageSize = 50;

    /// <summary>The number of messages per page: 1 to <see cref="ChatPersistenceLimits.MaxPageSize"/>. Defaults to 50.</summary>
    public int PageSize { get; init; } = DefaultPageSize;

    /// <summary>An opaque cursor from a previous page of the same session, or <see langword="null"/> to start at an end.</summary>
    public string? Cursor { get; init; }

    /// <summary>The end to start from when <see cref="Cursor"/> is <see langword="null"/>. Defaults to <see cref="ChatHistoryStart.Newest"/>.</summary>
    public ChatHistoryStart Start { get; init; } = ChatHistoryStart.Newest;

    /// <summary>The newest <see cref="DefaultPageSize"/> messages.</summary>
    public static ChatHistoryRequest Latest { get; } = new();

    /// <summary>
    /// Read the path that ends at this message (its ancestors and itself, oldest first) instead of the session's active path:
    /// the conversation as it was at another version. <see langword="null"/> (the default): the active path. Part of the
    /// cursor's scope: a cursor read with one value is refused with another. Needs <see cref="ChatStoreCapabilities.Branches"/>.
    /// </summary>
    public Guid? LeafId { get; init; }

    /// <summary>
    /// Read every message of every branch in sequence order, each with its <see cref="StoredChatMessage.ParentId"/> (exports
    /// and tools that rebuild the tree). <see cref="LeafId"/> must then be <see langword="null"/>. Part of the cursor's scope.
    /// Needs <see cref="ChatStoreCapabilities.Branches"/>.
    /// </summary>
    public bool AllBranches { get; init; }
}
