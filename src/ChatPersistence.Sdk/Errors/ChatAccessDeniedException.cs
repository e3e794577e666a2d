namespace ChatPersistence.Sdk;

/// <summary>
/// The caller is not allowed to perform the operation at all, e.g. a user-mode store acting for another user id than
/// its token's, an anonymous caller, or a user calling an operation reserved to the service role (retention).
/// </summary>
public class ChatAccessDeniedException : ChatPersistenceException
{
    /// <summary>Creates an exception with a default message.</summary>
    public ChatAccessDeniedException()
        : base("The caller is not allowed to perform this chat operation.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What was denied.</param>
    public ChatAccessDeniedException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the underlying cause.</summary>
    /// <param name="message">What was denied.</param>
    /// <param name="innerException">The underlying cause.</param>
    public ChatAccessDeniedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
