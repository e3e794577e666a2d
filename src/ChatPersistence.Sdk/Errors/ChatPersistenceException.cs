namespace ChatPersistence.Sdk;

/// <summary>
/// The base type of every failure a chat store reports (caller mistakes throw <see cref="ArgumentException"/>
/// and friends instead, before anything is sent or written).
/// </summary>
/// <remarks>
/// <see cref="IsTransient"/> tells whether the same call may succeed when retried (connection lost, server busy,
/// serialization failure…). Appends are idempotent by message id, so retrying them is always safe.
/// Server-side details (an SQLSTATE or PostgREST error code, the HTTP status, details and hint) are kept when the
/// store has them. Keys and access tokens never appear in any of these properties.
/// </remarks>
public class ChatPersistenceException : Exception
{
    /// <summary>Creates an exception with a default message.</summary>
    public ChatPersistenceException()
        : this("The chat store reported an error.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What went wrong.</param>
    public ChatPersistenceException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the underlying cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The underlying cause.</param>
    public ChatPersistenceException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Whether retrying the same operation may succeed.</summary>
    public bool IsTransient { get; init; }

    /// <summary>The store's own error code, e.g. a PostgreSQL SQLSTATE (<c>23505</c>) or a PostgREST code (<c>PGRST202</c>).</summary>
    public string? ErrorCode { get; init; }

    /// <summary>The HTTP status code, for stores reached over HTTP.</summary>
    public int? HttpStatusCode { get; init; }

    /// <summary>Additional details reported by the server, if any.</summary>
    public string? Details { get; init; }

    /// <summary>A hint reported by the server, if any.</summary>
    public string? Hint { get; init; }
}
