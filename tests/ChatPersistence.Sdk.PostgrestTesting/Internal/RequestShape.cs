namespace ChatPersistence.Sdk.PostgrestTesting.Internal;

/// <summary>
/// What the client asked for beside the resource: its preferences, the singular media type
/// (<c>Accept: application/vnd.pgrst.object+json</c>) and whether the answer carries headers only (HEAD).
/// </summary>
internal sealed record RequestShape(Preferences Prefer, bool Singular, bool HeadersOnly);
