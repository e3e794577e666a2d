using System.Security.Claims;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Microsoft.IdentityModel.Tokens;
using ModelContextProtocol.AspNetCore.Authentication;
using ModelContextProtocol.Authentication;

namespace ChatPersistence.Samples.Server.Auth;

/// <summary>
/// Authentication with ASP.NET Core's JWT bearer handler: Supabase access tokens (keys from the project's JWKS, refreshed by the
/// framework's configuration manager), legacy HS256 tokens, or — in Development with nothing configured — local development
/// tokens. Every token must pass: signature with the algorithm its key is pinned to, <c>exp</c>, <c>nbf</c>, <c>iss</c>,
/// <c>aud</c>, <c>role</c> = <c>authenticated</c> and <c>sub</c> a non-nil UUID; refusals are 401 with <c>WWW-Authenticate</c>.
/// </summary>
internal static class ChatAuthentication
{
    /// <summary>The only role the server serves: Supabase's signed-in users (not <c>anon</c>, not <c>service_role</c>).</summary>
    public const string RequiredRole = "authenticated";

    /// <summary>The authorization policy of <c>/mcp</c>: as the default one, challenged with the MCP sign-in discovery too.</summary>
    public const string McpPolicy = "mcp";

    /// <summary>
    /// Registers authentication from the <c>Auth</c> section. Returns the development token issuer when development tokens are
    /// on (Development environment and no authentication configured), else <see langword="null"/>. A configuration that must
    /// not run is refused at start-up by <see cref="AuthOptionsValidator"/> (<see cref="OptionsValidationException"/>).
    /// </summary>
    public static DevTokenIssuer? AddChatAuthentication(this WebApplicationBuilder builder)
    {
        var section = builder.Configuration.GetSection("Auth");
        builder.Services.AddOptions<AuthOptions>().Bind(section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AuthOptions>, AuthOptionsValidator>();

        var auth = section.Get<AuthOptions>() ?? new AuthOptions();
        var dev = !auth.IsConfigured && builder.Environment.IsDevelopment() ? new DevTokenIssuer() : null;
        if (dev is not null)
        {
            builder.Services.AddSingleton(dev);
        }

        var keys = new List<SecurityKey>();
        if (!string.IsNullOrEmpty(auth.JwtSecret))
        {
            keys.Add(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(auth.JwtSecret)));
        }

        if (dev is not null)
        {
            keys.Add(dev.Key);
        }

        var authentication = builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme);
        // MCP sign-in discovery (RFC 9728, as the MCP authorization spec asks): the MCP SDK's handler serves the Protected
        // Resource Metadata at /.well-known/oauth-protected-resource[/mcp], naming the authorization server that issues the
        // tokens this server accepts (Supabase Auth: the issuer), and adds resource_metadata="…" to /mcp's 401 challenge.
        authentication.AddMcp(options => options.ResourceMetadata = new ProtectedResourceMetadata
        {
            AuthorizationServers = dev is not null ? [DevTokenIssuer.Issuer] : auth.ExpectedIssuer is { } authorizationServer ? [authorizationServer] : [],
            BearerMethodsSupported = ["header"],
            ResourceName = "Chat history",
        });
        authentication.AddJwtBearer(options =>
        {
            options.MapInboundClaims = false;
            options.RequireHttpsMetadata = auth.RequireHttpsMetadata;
            options.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = dev is not null ? DevTokenIssuer.Issuer : auth.ExpectedIssuer,
                ValidAudience = auth.Audience,
                IssuerSigningKeys = keys,
                ValidAlgorithms = [SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.RsaSha256, SecurityAlgorithms.HmacSha256],
                AlgorithmValidator = PinnedAlgorithm,
                ValidateIssuer = true,
                ValidateAudience = true,
                ValidateLifetime = true,
                ValidateIssuerSigningKey = true,
                RequireExpirationTime = true,
                RequireSignedTokens = true,
                ClockSkew = auth.ClockSkew,
                NameClaimType = "email",
                RoleClaimType = "role",
            };
            if (auth.JwksUrl is { } jwks && auth.ExpectedIssuer is { } issuer)
            {
                var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) }) { Timeout = TimeSpan.FromSeconds(10) };
                options.ConfigurationManager = new ConfigurationManager<OpenIdConnectConfiguration>(
                    jwks, new JwksRetriever(issuer), new HttpDocumentRetriever(http) { RequireHttps = auth.RequireHttpsMetadata })
                {
                    // Re-read every 10 minutes, so a standby key Supabase publishes before a rotation is known before it signs;
                    // a token naming an unknown kid also triggers a re-read, beside that request: at most one a second (the
                    // framework's minimum), so a brand-new key is accepted about a second after its first token, and tokens with
                    // made-up kids cost the JWKS endpoint at most one request a second per instance.
                    AutomaticRefreshInterval = TimeSpan.FromMinutes(10),
                    RefreshInterval = ConfigurationManager<OpenIdConnectConfiguration>.MinimumRefreshInterval,
                };
            }

            options.Events = new JwtBearerEvents
            {
                // Browsers cannot set headers on a WebSocket: the socket endpoint also takes ?access_token= (as SignalR does).
                OnMessageReceived = context =>
                {
                    if (context.Request.Path.StartsWithSegments("/ws") && string.IsNullOrEmpty(context.Request.Headers.Authorization)
                        && context.Request.Query["access_token"].ToString() is { Length: > 0 } token)
                    {
                        context.Token = token;
                    }

                    return Task.CompletedTask;
                },
                OnTokenValidated = context =>
                {
                    var roles = context.Principal!.FindAll("role").Select(c => c.Value).ToList();
                    if (roles is not [RequiredRole])
                    {
                        context.Fail($"The token's role must be '{RequiredRole}'.");
                    }
                    else if (!Guid.TryParseExact(context.Principal.FindFirst("sub")?.Value, "D", out var user) || user == Guid.Empty)
                    {
                        context.Fail("The token's sub must be a user id (a non-nil UUID).");
                    }

                    return Task.CompletedTask;
                },
            };
        });
        // Supabase anonymous sign-ins are users too (role authenticated, is_anonymous true); Auth:AllowAnonymousUsers = false
        // refuses them with 403 on every endpoint that requires a user (their tokens stay valid: they are not forged).
        builder.Services.AddAuthorization(options =>
        {
            var policy = new AuthorizationPolicyBuilder().RequireAuthenticatedUser();
            if (!auth.AllowAnonymousUsers)
            {
                policy.RequireAssertion(context => !IsAnonymous(context.User));
            }

            options.DefaultPolicy = policy.Build();

            // /mcp: tokens are read by JwtBearer as everywhere; a refusal is challenged by both schemes, so the 401 carries
            // JwtBearer's error="invalid_token" and the MCP handler's resource_metadata="…" for the client's discovery.
            var mcp = new AuthorizationPolicyBuilder(JwtBearerDefaults.AuthenticationScheme, McpAuthenticationDefaults.AuthenticationScheme).RequireAuthenticatedUser();
            if (!auth.AllowAnonymousUsers)
            {
                mcp.RequireAssertion(context => !IsAnonymous(context.User));
            }

            options.AddPolicy(McpPolicy, mcp.Build());
        });
        return dev;
    }

    /// <summary>Whether the token is a Supabase anonymous sign-in (<c>is_anonymous: true</c>).</summary>
    public static bool IsAnonymous(ClaimsPrincipal user) =>
        string.Equals(user.FindFirst("is_anonymous")?.Value, "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>Each key accepts one algorithm: HS256 for the secret, ES256 for EC keys, RS256 for RSA keys (or the JWK's own <c>alg</c>).</summary>
    private static bool PinnedAlgorithm(string algorithm, SecurityKey key, SecurityToken token, TokenValidationParameters parameters) => key switch
    {
        SymmetricSecurityKey => algorithm == SecurityAlgorithms.HmacSha256,
        JsonWebKey { Kty: "oct" } => false,
        JsonWebKey { Alg.Length: > 0 } jwk => algorithm == jwk.Alg && algorithm is SecurityAlgorithms.EcdsaSha256 or SecurityAlgorithms.RsaSha256,
        JsonWebKey { Kty: JsonWebAlgorithmsKeyTypes.EllipticCurve } or ECDsaSecurityKey => algorithm == SecurityAlgorithms.EcdsaSha256,
        JsonWebKey { Kty: JsonWebAlgorithmsKeyTypes.RSA } or RsaSecurityKey or X509SecurityKey => algorithm == SecurityAlgorithms.RsaSha256,
        _ => false,
    };
}
