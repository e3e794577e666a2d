namespace ChatPersistence.Sdk.Internal;

/// <summary>
/// Thrown by a <see cref="ChatCache"/> factory so that HybridCache stores nothing: the read overlapped a write (or an
/// eviction) of the same user or session, or its result is not cached (a missing session). Every caller that waited on
/// that factory then reads the store directly.
/// </summary>
internal sealed class ChatCacheBypassException : Exception
{
    public ChatCacheBypassException()
        : base("The cached read overlapped a write; read the store directly.")
    {
    }

    public ChatCacheBypassException(string message)
        : base(message)
    {
    }

    public ChatCacheBypassException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
