namespace ChatPersistence.Sdk;

/// <summary>Which page of a listing to read (sessions or favourites).</summary>
public sealed record ChatListRequest
{
    /// <summary>The number of items per page: 1 to <see cref="ChatPersistenceLimits.MaxPageSize"/>. Defaults to 50.</summary>
    public int PageSize { get; init; } = ChatHistoryRequest.DefaultPageSize;

    /// <summary>The <see cref="ChatPage{T}.NextCursor"/> of the previous page of the same listing, or <see langword="null"/> for the first page.</summary>
    public string? Cursor { get; init; }

    /// <summary>The first page with the default size.</summary>
    public static ChatListRequest First { get; } = new();
}
