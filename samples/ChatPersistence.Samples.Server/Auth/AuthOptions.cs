namespace ChatPersistence.Samples.Server.Auth;

/// <summary>
/// How access tokens are validated (section <c>Auth</c>). With a <see cref="JwtSecret"/> the server accepts Supabase access
/// tokens (HS256 with the project's JWT secret). Without one it runs in development mode: it makes up a secret at start and
/// issues local tokens from <c>POST /dev/token</c>, so the page works out of the box.
/// </summary>
public sealed class AuthOptions
{
    /// <summary>The HS256 secret (Supabase: Settings → API → JWT secret). Empty: development mode.</summary>
    public string? JwtSecret { get; set; }

    /// <summary>The expected <c>iss</c>, e.g. <c>https://abcdefgh.supabase.co/auth/v1</c>; not checked when empty.</summary>
    public string? Issuer { get; set; }

    /// <summary>The expected <c>aud</c> (Supabase: <c>authenticated</c>).</summary>
    public string Audience { get; set; } = "authenticated";

    /// <summary>Whether <c>POST /dev/token</c> issues tokens even though a secret is configured (never in production).</summary>
    public bool EnableDevTokens { get; set; }

    /// <summary>Whether development tokens are issued.</summary>
    public bool DevTokensEnabled => string.IsNullOrEmpty(JwtSecret) || EnableDevTokens;
}
