namespace ChatPersistence.Sdk.Supabase;

/// <summary>How the Supabase store authenticates its requests.</summary>
public enum SupabaseAuthMode
{
    /// <summary>
    /// Acting for a signed-in user: <c>apikey</c> is the project's anon (publishable) key and <c>Authorization</c> carries
    /// the user's access token from <see cref="SupabaseChatStoreOptions.AccessTokenProvider"/>. Row Level Security decides
    /// what each request may see; the user id is the token's <c>sub</c>.
    /// </summary>
    User,

    /// <summary>
    /// A trusted server: both headers carry the service-role (secret) key, which bypasses Row Level Security, and every call
    /// names the user explicitly. Never ship this key to a browser or a mobile app.
    /// </summary>
    Service,
}
