namespace ChatPersistence.Sdk;

/// <summary>A full-text search in a user's chat history.</summary>
/// <remarks>
/// The query is plain user text: words are matched case- and accent-insensitively ("informacao" finds
/// "informação"), all words must match, and a word matches as a prefix of a stored word when it ends with
/// <c>*</c>. Quoted phrases, operators and punctuation are treated as text; no input is ever a syntax error.
/// </remarks>
public sealed record ChatSearchRequest
{
    /// <summary>Creates a search request.</summary>
    /// <param name="query">The text to search for.</param>
    public ChatSearchRequest(string query) => Query = query;

    /// <summary>The text to search for: at least one letter or digit, at most <see cref="ChatPersistenceLimits.MaxSearchQueryLength"/> characters.</summary>
    public string Query { get; init; }

    /// <summary>Restricts the search to one session; <see langword="null"/> searches all of the user's sessions.</summary>
    public Guid? SessionId { get; init; }

    /// <summary>The number of hits per page: 1 to <see cref="ChatPersistenceLimits.MaxSearchPageSize"/>. Defaults to 20.</summary>
    public int PageSize { get; init; } = 20;

    /// <summary>The <see cref="ChatPage{T}.NextCursor"/> of the previous page of the same search, or <see langword="null"/>.</summary>
    public string? Cursor { get; init; }
}
