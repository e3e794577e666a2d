namespace ChatPersistence.Sdk;

/// <summary>A page of a listing (sessions, favourites, search hits) read with an opaque forward cursor.</summary>
/// <typeparam name="T">The item type.</typeparam>
public sealed record ChatPage<T>
{
    /// <summary>The items of the page, in the listing's order.</summary>
    public required IReadOnlyList<T> Items { get; init; }

    /// <summary>A cursor for the next page, or <see langword="null"/> when there is none.</summary>
    public string? NextCursor { get; init; }

    /// <summary>Whether another page existed when this one was read.</summary>
    public bool HasMore => NextCursor is not null;
}
