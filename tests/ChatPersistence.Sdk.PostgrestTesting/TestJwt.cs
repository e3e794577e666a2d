using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ChatPersistence.Sdk.PostgrestTesting;

/// <summary>
/// HS256 JSON Web Tokens (RFC 7519 / RFC 7515) as Supabase's legacy keys and access tokens are: the anon and service-role
/// keys are JWTs whose <c>role</c> claim is <c>anon</c> / <c>service_role</c>; a user's access token carries <c>sub</c>,
/// <c>role: authenticated</c>, <c>aud: authenticated</c> and <c>exp</c> (Supabase "JWTs" guide).
/// </summary>
public static class TestJwt
{
    /// <summary>Signs <paramref name="claims"/> with HS256.</summary>
    /// <param name="secret">The shared secret.</param>
    /// <param name="claims">The payload.</param>
    /// <returns>The compact serialisation <c>header.payload.signature</c>.</returns>
    public static string Sign(string secret, JsonObject claims)
    {
        var header = Base64Url(Encoding.UTF8.GetBytes("""{"alg":"HS256","typ":"JWT"}"""));
        var payload = Base64Url(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var signature = Base64Url(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(header + "." + payload)));
        return header + "." + payload + "." + signature;
    }

    /// <summary>A Supabase-style user access token.</summary>
    /// <param name="secret">The project's JWT secret.</param>
    /// <param name="userId">The user (the <c>sub</c> claim).</param>
    /// <param name="lifetime">Time to expiry from now (negative for an expired token).</param>
    /// <returns>The token.</returns>
    public static string UserToken(string secret, Guid userId, TimeSpan lifetime)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return Sign(secret, new JsonObject
        {
            ["aud"] = "authenticated",
            ["exp"] = now + (long)lifetime.TotalSeconds,
            ["iat"] = now,
            ["sub"] = userId.ToString(),
            ["email"] = $"{userId:N}@example.test",
            ["role"] = "authenticated",
        });
    }

    /// <summary>A Supabase-style API key: a long-lived JWT with only a <c>role</c> claim.</summary>
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

    /// <summary>Verifies an HS256 token and returns its claims, or the reason it is refused.</summary>
    /// <param name="secret">The shared secret.</param>
    /// <param name="token">The compact token.</param>
    /// <param name="now">The current time.</param>
    /// <param name="claims">The verified claims.</param>
    /// <param name="expired">Whether the only problem is that the token has expired.</param>
    /// <returns><see langword="null"/> when valid, otherwise a description of the problem.</returns>
    public static string? Verify(string secret, string token, DateTimeOffset now, out JsonObject? claims, out bool expired)
    {
        claims = null;
        expired = false;
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return $"Expected 3 parts in JWT; got {parts.Length}";
        }

        JsonObject? header;
        try
        {
            header = JsonNode.Parse(FromBase64Url(parts[0])) as JsonObject;
            claims = JsonNode.Parse(FromBase64Url(parts[1])) as JsonObject;
        }
        catch (Exception ex) when (ex is FormatException or JsonException)
        {
            return "JWT cannot be decoded";
        }

        if (header is null || claims is null)
        {
            return "JWT cannot be decoded";
        }

        // Only the configured algorithm is accepted: "none" and algorithm confusion are refused.
        if (header["alg"]?.GetValue<string>() != "HS256")
        {
            claims = null;
            return "Wrong or unsupported encoding algorithm";
        }

        var expected = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
        byte[] actual;
        try
        {
            actual = FromBase64Url(parts[2]);
        }
        catch (FormatException)
        {
            claims = null;
            return "JWT cannot be decoded";
        }

        if (!CryptographicOperations.FixedTimeEquals(expected, actual))
        {
            claims = null;
            return "JWT cryptographic operation failed";
        }

        // PostgREST allows 30 seconds of clock skew on exp/nbf/iat (PostgREST "Authentication" reference, JWT validation).
        if (claims["exp"] is JsonValue exp && exp.TryGetValue<long>(out var expSeconds) && now.ToUnixTimeSeconds() - 30 >= expSeconds)
        {
            expired = true;
            return "JWT expired";
        }

        if (claims["nbf"] is JsonValue nbf && nbf.TryGetValue<long>(out var nbfSeconds) && now.ToUnixTimeSeconds() + 30 < nbfSeconds)
        {
            expired = true;
            return "JWT not yet valid";
        }

        return null;
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }
}
