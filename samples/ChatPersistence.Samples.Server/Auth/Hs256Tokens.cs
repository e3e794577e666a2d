using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ChatPersistence.Samples.Server.Auth;

/// <summary>
/// Validates (and, in development mode, issues) HS256 JWTs the way Supabase's access tokens are made: signature with the
/// project's secret, <c>alg</c> must be HS256, <c>exp</c> enforced (30 s leeway), <c>aud</c> and <c>iss</c> checked,
/// <c>sub</c> is the user id (a UUID).
/// </summary>
public sealed class Hs256Tokens(byte[] secret, string audience, string? issuer)
{
    /// <summary>Issues a token for <paramref name="userId"/> valid for <paramref name="lifetime"/>.</summary>
    public string Issue(Guid userId, string name, TimeSpan lifetime)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var claims = new JsonObject
        {
            ["sub"] = userId.ToString(),
            ["aud"] = audience,
            ["role"] = "authenticated",
            ["name"] = name,
            ["iat"] = now,
            ["exp"] = now + (long)lifetime.TotalSeconds,
        };
        if (issuer is not null)
        {
            claims["iss"] = issuer;
        }

        var header = Encode("""{"alg":"HS256","typ":"JWT"}"""u8.ToArray());
        var payload = Encode(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        return header + "." + payload + "." + Encode(HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(header + "." + payload)));
    }

    /// <summary>Returns the token's user id and name, or the reason it is refused.</summary>
    public (Guid UserId, string? Name, string? Error) Validate(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return (default, null, "malformed token");
        }

        try
        {
            var header = JsonNode.Parse(Decode(parts[0]))?.AsObject();
            if (header?["alg"]?.GetValue<string>() != "HS256")
            {
                return (default, null, "unsupported algorithm");
            }

            var expected = HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]));
            if (!CryptographicOperations.FixedTimeEquals(expected, Decode(parts[2])))
            {
                return (default, null, "invalid signature");
            }

            var claims = JsonNode.Parse(Decode(parts[1]))!.AsObject();
            var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            if (claims["exp"]?.GetValue<long>() is not { } exp || now - 30 >= exp)
            {
                return (default, null, "token expired");
            }

            var audiences = claims["aud"] switch
            {
                JsonArray array => array.Select(a => a?.GetValue<string>()).ToList(),
                JsonValue value => [value.GetValue<string>()],
                _ => [],
            };
            if (!audiences.Contains(audience))
            {
                return (default, null, "wrong audience");
            }

            if (issuer is not null && claims["iss"]?.GetValue<string>() != issuer)
            {
                return (default, null, "wrong issuer");
            }

            return Guid.TryParse(claims["sub"]?.GetValue<string>(), out var user)
                ? (user, claims["name"]?.GetValue<string>(), null)
                : (default, null, "the sub claim is not a user id");
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidOperationException)
        {
            return (default, null, "malformed token");
        }
    }

    /// <summary>A stable user id for a development user name (so the same name finds its history again).</summary>
    public static Guid DevUserId(string name)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("chatpersistence-dev-user:" + name.Trim().ToLowerInvariant()));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8 (custom), RFC 9562
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    private static string Encode(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] Decode(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }
}
