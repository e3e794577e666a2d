namespace ChatPersistence.Sdk;

/// <summary>
/// The session or message does not exist, or does not belong to the user the call was made for (the two are not
/// distinguished, so one user cannot probe for another user's ids).
/// </summary>
public class ChatNotFoundException : ChatPersistenceException
{
    /// <summary>Creates an exception with a default message.</summary>
    public ChatNotFoundException()
        : base("The chat session or message was not found.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What was not found.</param>
    public ChatNotFoundException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the underlying cause.</summary>
    /// <param name="message">What was not found.</param>
    /// <param name="innerException">The underlying cause.</param>
    public ChatNotFoundException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Which kind of item was missing: <c>"session"</c> or <c>"message"</c>.</summary>
    public string? ResourceKind { get; init; }

    /// <summary>The id that was looked up.</summary>
    public Guid? ResourceId { get; init; }

    /// <summary>Creates the exception thrown when a session is missing or not the user's.</summary>
    /// <param name="sessionId">The session id.</param>
    /// <returns>The exception.</returns>
    public static ChatNotFoundException ForSession(Guid sessionId) =>
        new($"Chat session '{sessionId}' was not found for this user.") { ResourceKind = "session", ResourceId = sessionId };

    /// <summary>Creates the exception thrown when a message is missing or not the user's.</summary>
    /// <param name="messageId">The message id.</param>
    /// <returns>The exception.</returns>
    public static ChatNotFoundException ForMessage(Guid messageId) =>
        new($"Chat message '{messageId}' was not found for this user.") { ResourceKind = "message", ResourceId = messageId };
}
