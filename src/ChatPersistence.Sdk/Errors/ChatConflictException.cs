namespace ChatPersistence.Sdk;

/// <summary>
/// A message id is already stored with different content, role, metadata or session. Re-appending the same message
/// is not a conflict: it returns the stored message.
/// </summary>
public class ChatConflictException : ChatPersistenceException
{
    /// <summary>Creates an exception with a default message.</summary>
    public ChatConflictException()
        : base("A message with the same id but different content is already stored.")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What conflicted.</param>
    public ChatConflictException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the underlying cause.</summary>
    /// <param name="message">What conflicted.</param>
    /// <param name="innerException">The underlying cause.</param>
    public ChatConflictException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The id of the conflicting message, when known.</summary>
    public Guid? MessageId { get; init; }

    /// <summary>Creates the exception for a message id stored with other content.</summary>
    /// <param name="messageId">The message id.</param>
    /// <returns>The exception.</returns>
    public static ChatConflictException ForMessage(Guid messageId) =>
        new($"Message '{messageId}' is already stored with a different role, content, metadata or session; a retried append must send the same message.")
        {
            MessageId = messageId,
        };
}
