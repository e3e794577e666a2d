using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// Signing keys and raw JWTs for the authentication tests. Tokens are assembled by hand here (not by the library under test)
/// so a test can send exactly the header and claims it means to: a wrong <c>alg</c>, duplicate keys, no signature.
/// </summary>
public sealed class TestKey : IDisposable
{
    private readonly ECDsa? _ec;
    private readonly RSA? _rsa;
    private readonly byte[]? _secret;

    private TestKey(string kid, string alg, ECDsa? ec, RSA? rsa, byte[]? secret) => (Kid, Alg, _ec, _rsa, _secret) = (kid, alg, ec, rsa, secret);

    public string Kid { get; }

    public string Alg { get; }

    public static TestKey Es256(string kid) => new(kid, "ES256", ECDsa.Create(ECCurve.NamedCurves.nistP256), null, null);

    public static TestKey Rs256(string kid) => new(kid, "RS256", null, RSA.Create(2048), null);

    public static TestKey Hs256(string secret) => new("", "HS256", null, null, Encoding.UTF8.GetBytes(secret));

    /// <summary>The public JWK as Supabase publishes it (kid, alg, use sig).</summary>
    public JsonObject PublicJwk()
    {
        if (_ec is not null)
        {
            var p = _ec.ExportParameters(false);
            return new JsonObject { ["kty"] = "EC", ["crv"] = "P-256", ["x"] = B64(p.Q.X!), ["y"] = B64(p.Q.Y!), ["kid"] = Kid, ["alg"] = Alg, ["use"] = "sig", ["key_ops"] = new JsonArray("verify") };
        }

        var r = _rsa!.ExportParameters(false);
        return new JsonObject { ["kty"] = "RSA", ["n"] = B64(r.Modulus!), ["e"] = B64(r.Exponent!), ["kid"] = Kid, ["alg"] = Alg, ["use"] = "sig", ["key_ops"] = new JsonArray("verify") };
    }

    /// <summary>Signs <paramref name="headerJson"/>.<paramref name="claims"/> with this key (whatever the header's alg says).</summary>
    public string Sign(JsonObject claims, string? headerJson = null)
    {
        headerJson ??= Kid.Length > 0 ? $$"""{"alg":"{{Alg}}","kid":"{{Kid}}","typ":"JWT"}""" : $$"""{"alg":"{{Alg}}","typ":"JWT"}""";
        var input = B64(Encoding.UTF8.GetBytes(headerJson)) + "." + B64(Encoding.UTF8.GetBytes(claims.ToJsonString()));
        var data = Encoding.ASCII.GetBytes(input);
        var signature = _ec is not null ? _ec.SignData(data, HashAlgorithmName.SHA256)
            : _rsa is not null ? _rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1)
            : HMACSHA256.HashData(_secret!, data);
        return input + "." + B64(signature);
    }

    public void Dispose()
    {
        _ec?.Dispose();
        _rsa?.Dispose();
    }

    public static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>The claims of a valid Supabase access token for <paramref name="user"/>.</summary>
    public static JsonObject Claims(string issuer, Guid user, Action<JsonObject>? change = null)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var claims = new JsonObject
        {
            ["iss"] = issuer,
            ["sub"] = user.ToString(),
            ["aud"] = "authenticated",
            ["role"] = "authenticated",
            ["exp"] = now + 3600,
            ["iat"] = now,
            ["email"] = "someone@example.com",
            ["aal"] = "aal1",
            ["session_id"] = Guid.NewGuid().ToString(),
            ["is_anonymous"] = false,
        };
        change?.Invoke(claims);
        return claims;
    }

    public static string Json(object value) => JsonSerializer.Serialize(value);
}
