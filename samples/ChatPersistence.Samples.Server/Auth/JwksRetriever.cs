using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;

namespace ChatPersistence.Samples.Server.Auth;

/// <summary>
/// Reads a bare JWKS (Supabase's <c>/auth/v1/.well-known/jwks.json</c>) as the configuration JwtBearer's
/// <see cref="ConfigurationManager{T}"/> manages, so the framework does the caching, the periodic refresh, the refresh when a
/// token names an unknown <c>kid</c> and the fallback to the last good key set.
/// </summary>
internal sealed class JwksRetriever(string issuer) : IConfigurationRetriever<OpenIdConnectConfiguration>
{
    public async Task<OpenIdConnectConfiguration> GetConfigurationAsync(string address, IDocumentRetriever retriever, CancellationToken cancel)
    {
        var keys = new JsonWebKeySet(await retriever.GetDocumentAsync(address, cancel).ConfigureAwait(false));
        var configuration = new OpenIdConnectConfiguration { Issuer = issuer, JwksUri = address, JsonWebKeySet = keys };
        foreach (var key in keys.GetSigningKeys())
        {
            configuration.SigningKeys.Add(key);
        }

        return configuration;
    }
}
