using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ChatPersistence.Sdk.PostgrestTesting.Internal;

/// <summary>
/// PostgREST's JWT check (PostgREST "Authentication" reference; src/PostgREST/Auth/Jwt.hs), with Microsoft.IdentityModel
/// doing the cryptography: HS256 against the legacy secret, ES256 / RS256 against the JWKS, the algorithm pinned to the
/// key type (an HS256 header is never checked with an asymmetric key, and the reverse); a <c>kid</c> must name a published
/// key; <c>exp</c> / <c>nbf</c> with PostgREST's 30-second skew; <c>aud</c> not checked (Supabase sets no <c>jwt-aud</c>).
/// Errors are PostgREST's: PGRST301 for a token that cannot be decoded or verified, PGRST303 for failed claims.
/// </summary>
internal sealed class JwtVerifier(TestSigningKeys keys)
{
    private static readonly JsonWebTokenHandler Handler = new();

    public async Task<JwtResult> VerifyAsync(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return JwtResult.Fail("PGRST301", $"Expected 3 parts in JWT; got {parts.Length}");
        }

        JsonWebToken parsed;
        try
        {
            parsed = new JsonWebToken(token);
        }
        catch (ArgumentException)
        {
            return JwtResult.Fail("PGRST301", "JWT cryptographic operation failed");
        }

        var algorithm = parsed.Alg;
        var keyId = string.IsNullOrEmpty(parsed.Kid) ? null : parsed.Kid;
        IReadOnlyList<SecurityKey> candidates;
        switch (algorithm)
        {
            case SecurityAlgorithms.HmacSha256:
                candidates = [keys.LegacyKey];
                break;
            case SecurityAlgorithms.EcdsaSha256 or SecurityAlgorithms.RsaSha256:
                if (keyId is not null && !keys.IsPublished(keyId))
                {
                    return JwtResult.Fail("PGRST301", "No suitable key or wrong key type");
                }

                candidates = keys.VerificationKeys(algorithm, keyId);
                if (candidates.Count == 0)
                {
                    return JwtResult.Fail("PGRST301", "No suitable key or wrong key type");
                }

                break;
            default:
                return JwtResult.Fail("PGRST301", "Wrong or unsupported encoding algorithm");
        }

        var result = await Handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKeys = candidates,
            ValidAlgorithms = [algorithm],
            TryAllIssuerSigningKeys = true,
            ValidateIssuer = false,
            ValidateAudience = false,
            ValidateLifetime = true,
            RequireExpirationTime = false,
            RequireSignedTokens = true,
            ClockSkew = TimeSpan.FromSeconds(30),
        });
        if (!result.IsValid)
        {
            return result.Exception switch
            {
                SecurityTokenExpiredException => JwtResult.Fail("PGRST303", "JWT expired"),
                SecurityTokenNotYetValidException => JwtResult.Fail("PGRST303", "JWT not yet valid"),
                SecurityTokenInvalidLifetimeException => JwtResult.Fail("PGRST303", "JWT not yet valid"),
                _ => JwtResult.Fail("PGRST301", "JWT cryptographic operation failed"),
            };
        }

        try
        {
            var payload = JsonNode.Parse(Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parsed.EncodedPayload))) as JsonObject;
            return payload is null ? JwtResult.Fail("PGRST301", "JWT cryptographic operation failed") : new JwtResult(payload, null, null);
        }
        catch (JsonException)
        {
            return JwtResult.Fail("PGRST301", "JWT cryptographic operation failed");
        }
    }
}
