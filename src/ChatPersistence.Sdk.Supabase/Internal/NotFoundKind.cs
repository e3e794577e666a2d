namespace ChatPersistence.Sdk.Supabase.Internal;

/// <summary>What a PT404 from a function means: a session or a message that is missing or not the caller's.</summary>
internal enum NotFoundKind
{
    Session,
    Message,
}
