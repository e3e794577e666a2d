namespace ChatPersistence.Sdk.Supabase;

/// <summary>
/// The Supabase API answered with a body larger than <see cref="SupabaseChatStoreOptions.MaxResponseBytes"/>: the store
/// stopped reading it (no more memory than the limit was taken) and did not use it. Not transient: the same call gets the
/// same answer; ask for smaller pages or raise the limit.
/// </summary>
public class SupabaseResponseTooLargeException : ChatPersistenceException
{
    /// <summary>Creates an exception with a default message.</summary>
    public SupabaseResponseTooLargeException()
        : base("The Supabase API answered with a body larger than the store's limit (MaxResponseBytes).")
    {
    }

    /// <summary>Creates an exception with a message.</summary>
    /// <param name="message">What was too large.</param>
    public SupabaseResponseTooLargeException(string message)
        : base(message)
    {
    }

    /// <summary>Creates an exception with a message and the underlying cause.</summary>
    /// <param name="message">What was too large.</param>
    /// <param name="innerException">The underlying cause.</param>
    public SupabaseResponseTooLargeException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The limit the answer exceeded, in bytes (<see cref="SupabaseChatStoreOptions.MaxResponseBytes"/>).</summary>
    public int MaxResponseBytes { get; init; }
}
