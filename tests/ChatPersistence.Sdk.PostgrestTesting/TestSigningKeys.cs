using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ChatPersistence.Sdk.PostgrestTesting;

/// <summary>
/// A Supabase project's JWT signing keys as new projects have them (Supabase "JWT Signing Keys"): asymmetric keys published
/// as a JWKS at <c>/auth/v1/.well-known/jwks.json</c> — an ES256 (P-256) current key, an ES256 previous key still trusted
/// after a rotation, and an RS256 key — plus the legacy HS256 secret that older projects and the legacy API keys use.
/// Keys are generated per server; tokens are signed with Microsoft.IdentityModel, not by hand. Thread-safe.
/// </summary>
public sealed class TestSigningKeys
{
    /// <summary>The key id of the current ES256 key (the one Supabase Auth signs new sessions with).</summary>
    public const string CurrentKeyId = "es256-current";

    /// <summary>The key id of the previous ES256 key (rotated to standby: still in the JWKS, still trusted).</summary>
    public const string PreviousKeyId = "es256-previous";

    /// <summary>The key id of the RS256 key (Supabase lets projects choose RSA).</summary>
    public const string RsaKeyId = "rs256";

    /// <summary>The key id of a key that was revoked: never in the JWKS, so its tokens are refused.</summary>
    public const string RevokedKeyId = "es256-revoked";

    private readonly Dictionary<string, (AsymmetricSecurityKey Private, AsymmetricSecurityKey Public, string Algorithm)> _keys = new(StringComparer.Ordinal);
    private readonly HashSet<string> _published = new(StringComparer.Ordinal);
    private readonly object _gate = new();

    /// <summary>Creates fresh keys; <paramref name="legacySecret"/> is the project's HS256 JWT secret.</summary>
    /// <param name="legacySecret">The legacy JWT secret (at least 32 characters, as PostgREST requires).</param>
    public TestSigningKeys(string legacySecret)
    {
        ArgumentException.ThrowIfNullOrEmpty(legacySecret);
        LegacySecret = legacySecret;
        LegacyKey = new SymmetricSecurityKey(Encoding.UTF8.GetBytes(legacySecret));
        foreach (var kid in new[] { CurrentKeyId, PreviousKeyId, RevokedKeyId })
        {
            var ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            _keys[kid] = (new ECDsaSecurityKey(ec) { KeyId = kid }, new ECDsaSecurityKey(ECDsa.Create(ec.ExportParameters(false))) { KeyId = kid }, SecurityAlgorithms.EcdsaSha256);
        }

        var rsa = RSA.Create(2048);
        _keys[RsaKeyId] = (new RsaSecurityKey(rsa) { KeyId = RsaKeyId }, new RsaSecurityKey(rsa.ExportParameters(false)) { KeyId = RsaKeyId }, SecurityAlgorithms.RsaSha256);
        _published.UnionWith([CurrentKeyId, PreviousKeyId, RsaKeyId]);
    }

    /// <summary>The legacy HS256 JWT secret.</summary>
    public string LegacySecret { get; }

    internal SymmetricSecurityKey LegacyKey { get; }

    /// <summary>Removes a key from the JWKS (the last step of a rotation): tokens it signed are refused from then on.</summary>
    /// <param name="keyId">The key id.</param>
    public void Revoke(string keyId)
    {
        lock (_gate)
        {
            _published.Remove(keyId);
        }
    }

    /// <summary>Signs <paramref name="claims"/> with the asymmetric key <paramref name="keyId"/> (its <c>kid</c> in the header).</summary>
    /// <param name="claims">The payload.</param>
    /// <param name="keyId">One of the key ids above. Default: the current ES256 key.</param>
    /// <returns>The compact token.</returns>
    public string Sign(JsonObject claims, string keyId = CurrentKeyId)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var (key, _, algorithm) = _keys[keyId];
        return new JsonWebTokenHandler().CreateToken(claims.ToJsonString(), new SigningCredentials(key, algorithm));
    }

    /// <summary>Signs <paramref name="claims"/> with HS256 and <paramref name="secret"/> (default: the legacy project secret).</summary>
    /// <param name="claims">The payload.</param>
    /// <param name="secret">The HMAC secret, or <see langword="null"/> for <see cref="LegacySecret"/>.</param>
    /// <returns>The compact token.</returns>
    public string SignHs256(JsonObject claims, string? secret = null)
    {
        ArgumentNullException.ThrowIfNull(claims);
        var key = secret is null ? LegacyKey : new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret));
        return new JsonWebTokenHandler().CreateToken(claims.ToJsonString(), new SigningCredentials(key, SecurityAlgorithms.HmacSha256));
    }

    /// <summary>
    /// An "algorithm confusion" forgery: a token whose header says HS256 and names an asymmetric key, signed with HMAC over
    /// that key's public JWK as the secret (what an attacker who read the JWKS can compute).
    /// </summary>
    /// <param name="claims">The payload.</param>
    /// <param name="keyId">The asymmetric key whose public form is abused as a secret.</param>
    /// <returns>The compact token.</returns>
    public string ForgeWithPublicKeyAsHmacSecret(JsonObject claims, string keyId = CurrentKeyId)
    {
        var secret = Encoding.UTF8.GetBytes(Jwk(keyId).ToJsonString());
        var key = new SymmetricSecurityKey(secret) { KeyId = keyId };
        return new JsonWebTokenHandler().CreateToken(claims.ToJsonString(), new SigningCredentials(key, SecurityAlgorithms.HmacSha256));
    }

    /// <summary>The JWKS document: the public form of every published key.</summary>
    /// <returns>The JSON text of <c>{"keys": [...]}</c>.</returns>
    public string JwksJson()
    {
        lock (_gate)
        {
            return new JsonObject { ["keys"] = new JsonArray(_published.Order(StringComparer.Ordinal).Select(k => (JsonNode)Jwk(k)).ToArray()) }.ToJsonString();
        }
    }

    /// <summary>The published keys that a token with header <paramref name="algorithm"/> and <paramref name="keyId"/> may be checked with.</summary>
    internal IReadOnlyList<SecurityKey> VerificationKeys(string algorithm, string? keyId)
    {
        lock (_gate)
        {
            return _published
                .Where(k => _keys[k].Algorithm == algorithm && (keyId is null || k == keyId))
                .Select(k => (SecurityKey)_keys[k].Public)
                .ToList();
        }
    }

    /// <summary>Whether a key with this id is published (in the JWKS).</summary>
    internal bool IsPublished(string keyId)
    {
        lock (_gate)
        {
            return _published.Contains(keyId);
        }
    }

    private JsonObject Jwk(string keyId)
    {
        var (_, key, algorithm) = _keys[keyId];
        var jwk = JsonWebKeyConverter.ConvertFromSecurityKey(key);
        var json = new JsonObject { ["kty"] = jwk.Kty, ["kid"] = keyId, ["alg"] = algorithm, ["use"] = "sig", ["key_ops"] = new JsonArray("verify") };
        if (jwk.Kty == JsonWebAlgorithmsKeyTypes.EllipticCurve)
        {
            json["crv"] = jwk.Crv;
            json["x"] = jwk.X;
            json["y"] = jwk.Y;
        }
        else
        {
            json["n"] = jwk.N;
            json["e"] = jwk.E;
        }

        return json;
    }
}
