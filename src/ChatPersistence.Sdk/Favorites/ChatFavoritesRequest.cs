namespace ChatPersistence.Sdk;

/// <summary>Which favourites to list: in one session or across all of the user's sessions, newest first.</summary>
public sealed record ChatFavoritesRequest
{
    /// <summary>Restricts the listing to one session; <see langword="null"/> lists favourites across all of the user's sessions.</summary>
    public Guid? SessionId { get; init; }

    /// <summary>The number of messages per page: 1 to <see cref="ChatPersistenceLimits.MaxPageSize"/>. Defaults to 50.</summary>
    public int PageSize { get; init; } = ChatHistoryRequest.DefaultPageSize;

    /// <summary>The <see cref="ChatPage{T}.NextCursor"/> of the previous page of the same listing, or <see langword="null"/>.</summary>
    public string? Cursor { get; init; }
}
