using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace ChatPersistence.Samples.Server.Auth;

/// <summary>
/// Development only (registered when the environment is Development and no authentication is configured): issues local
/// tokens for a user name, signed with a random key made at start-up that nothing else trusts, with an issuer of its own.
/// The tokens die with the process.
/// </summary>
internal sealed class DevTokenIssuer
{
    /// <summary>The <c>iss</c> of development tokens.</summary>
    public const string Issuer = "urn:chatpersistence:chat-server:development";

    /// <summary>The signing key: 256 random bits, never configured, never logged.</summary>
    public SymmetricSecurityKey Key { get; } = new(RandomNumberGenerator.GetBytes(32)) { KeyId = "dev-" + Guid.NewGuid().ToString("N")[..8] };

    /// <summary>Issues a token for <paramref name="name"/>, with the claims a Supabase access token carries.</summary>
    public string Issue(Guid userId, string name, string audience, TimeSpan lifetime)
    {
        var now = DateTime.UtcNow;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            Subject = new ClaimsIdentity([new Claim("sub", userId.ToString()), new Claim("role", "authenticated"), new Claim("name", name)]),
            SigningCredentials = new SigningCredentials(Key, SecurityAlgorithms.HmacSha256),
        });
    }

    /// <summary>A stable user id for a development user name, so the same name finds its local history again.</summary>
    public static Guid UserId(string name)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("chatpersistence-dev-user:" + name.Trim().ToLowerInvariant()));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80); // version 8 (custom), RFC 9562
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}
