using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ChatPersistence.Sdk.PostgrestTesting;

/// <summary>
/// Supabase-shaped JSON Web Tokens signed with HS256 (Microsoft.IdentityModel): the legacy API keys are JWTs whose
/// <c>role</c> claim is <c>anon</c> / <c>service_role</c>; a user's access token carries <c>sub</c>,
/// <c>role: authenticated</c>, <c>aud: authenticated</c> and <c>exp</c> (Supabase "JWT fields"). Asymmetric tokens come from
/// <see cref="TestSigningKeys"/>.
/// </summary>
public static class TestJwt
{
    /// <summary>Signs <paramref name="claims"/> with HS256.</summary>
    /// <param name="secret">The shared secret.</param>
    /// <param name="claims">The payload.</param>
    /// <returns>The compact serialisation <c>header.payload.signature</c>.</returns>
    public static string Sign(string secret, JsonObject claims) =>
        new JsonWebTokenHandler().CreateToken(claims.ToJsonString(), new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), SecurityAlgorithms.HmacSha256));

    /// <summary>The claims of a Supabase Auth access token for a signed-in user.</summary>
    /// <param name="userId">The user (the <c>sub</c> claim).</param>
    /// <param name="lifetime">Time to expiry from now (negative for an expired token).</param>
    /// <param name="issuer">The <c>iss</c> claim (Supabase: <c>{project_url}/auth/v1</c>), or <see langword="null"/>.</param>
    /// <returns>The claims.</returns>
    public static JsonObject UserClaims(Guid userId, TimeSpan lifetime, string? issuer = null)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var claims = new JsonObject
        {
            ["aud"] = "authenticated",
            ["exp"] = now + (long)lifetime.TotalSeconds,
            ["iat"] = now,
            ["sub"] = userId.ToString(),
            ["email"] = $"{userId:N}@example.test",
            ["role"] = "authenticated",
            ["aal"] = "aal1",
            ["session_id"] = Guid.NewGuid().ToString(),
            ["is_anonymous"] = false,
        };
        if (issuer is not null)
        {
            claims["iss"] = issuer;
        }

        return claims;
    }

    /// <summary>A legacy (HS256) Supabase user access token.</summary>
    /// <param name="secret">The project's JWT secret.</param>
    /// <param name="userId">The user (the <c>sub</c> claim).</param>
    /// <param name="lifetime">Time to expiry from now (negative for an expired token).</param>
    /// <returns>The token.</returns>
    public static string UserToken(string secret, Guid userId, TimeSpan lifetime) => Sign(secret, UserClaims(userId, lifetime));

    /// <summary>A legacy Supabase API key: a long-lived HS256 JWT with only a <c>role</c> claim.</summary>
    /// <param name="secret">The project's JWT secret.</param>
    /// <param name="role"><c>anon</c> or <c>service_role</c>.</param>
    /// <returns>The key.</returns>
    public static string ApiKey(string secret, string role) => Sign(secret, new JsonObject
    {
        ["iss"] = "supabase-test",
        ["role"] = role,
        ["iat"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["exp"] = DateTimeOffset.UtcNow.AddYears(10).ToUnixTimeSeconds(),
    });
}
