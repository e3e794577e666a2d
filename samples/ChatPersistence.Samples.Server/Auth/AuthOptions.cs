namespace ChatPersistence.Samples.Server.Auth;

/// <summary>
/// How access tokens are validated (section <c>Auth</c>). Set <see cref="SupabaseUrl"/> to accept the project's users (tokens
/// signed with its asymmetric keys, published as a JWKS), <see cref="JwtSecret"/> for a legacy project that signs with HS256,
/// or both during a migration. With neither, the server runs only in the Development environment, where it issues local
/// development tokens; in any other environment it refuses to start.
/// </summary>
public sealed class AuthOptions
{
    /// <summary>The Supabase project URL, e.g. <c>https://abcdefgh.supabase.co</c>: the issuer is <c>{url}/auth/v1</c> and the keys come from <c>{url}/auth/v1/.well-known/jwks.json</c>.</summary>
    public string? SupabaseUrl { get; set; }

    /// <summary>The legacy HS256 JWT secret (Supabase: Settings → JWT Keys → Legacy JWT secret), at least 32 characters.</summary>
    public string? JwtSecret { get; set; }

    /// <summary>The expected <c>iss</c> when it is not <c>{SupabaseUrl}/auth/v1</c> (e.g. a legacy setup with only <see cref="JwtSecret"/> and a custom domain).</summary>
    public string? Issuer { get; set; }

    /// <summary>The expected <c>aud</c>: <c>authenticated</c>, as Supabase Auth issues it.</summary>
    public string Audience { get; set; } = "authenticated";

    /// <summary>Whether the JWKS must be fetched over HTTPS (default <see langword="true"/>, as in JwtBearer); false only for a local http issuer in tests.</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>The tolerance for <c>exp</c> and <c>nbf</c>: 30 seconds, as PostgREST allows.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Whether Supabase anonymous users (tokens with <c>is_anonymous: true</c>; role <c>authenticated</c>, a real user id) are
    /// served. Default <see langword="true"/>, as Supabase itself treats them as signed-in users; <see langword="false"/>
    /// answers their requests and socket upgrades with 403.
    /// </summary>
    public bool AllowAnonymousUsers { get; set; } = true;

    /// <summary>Whether any real authentication is configured (a Supabase URL or a JWT secret).</summary>
    public bool IsConfigured => !string.IsNullOrWhiteSpace(SupabaseUrl) || !string.IsNullOrEmpty(JwtSecret);

    /// <summary>The <c>iss</c> tokens must carry: <see cref="Issuer"/>, else <c>{SupabaseUrl}/auth/v1</c>; <see langword="null"/> when neither is set.</summary>
    public string? ExpectedIssuer =>
        !string.IsNullOrWhiteSpace(Issuer) ? Issuer.Trim()
        : !string.IsNullOrWhiteSpace(SupabaseUrl) ? SupabaseUrl.Trim().TrimEnd('/') + "/auth/v1"
        : null;

    /// <summary>Where the signing keys are published, <c>{SupabaseUrl}/auth/v1/.well-known/jwks.json</c>; <see langword="null"/> without a URL.</summary>
    public string? JwksUrl => string.IsNullOrWhiteSpace(SupabaseUrl) ? null : SupabaseUrl.Trim().TrimEnd('/') + "/auth/v1/.well-known/jwks.json";
}
