using System.Security.Claims;
using System.Text;
using ChatPersistence.Samples.Server;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using ModelContextProtocol.Client;

namespace ChatPersistence.Sdk.Mcp.Tests;

/// <summary>
/// The chat server sample on a real Kestrel port (127.0.0.1), legacy HS256 authentication, /mcp over streamable HTTP. Clients send
/// a signed access token for their user exactly as the web page does for /api.
/// </summary>
public sealed class HttpHost : McpHost
{
    public const string Secret = "mcp-tests-secret-mcp-tests-secret-0123456789";
    public const string Issuer = "https://mcp-tests.example/auth/v1";

    private HttpHost(WebApplication app) => App = app;

    public override string Transport => "http";

    public WebApplication App { get; }

    public Uri Endpoint => new(App.Urls.First() + "/mcp");

    /// <summary>The store the server itself uses.</summary>
    public IChatSessionStore ServerStore => App.Services.GetRequiredService<IChatSessionStore>();

    public static async Task<HttpHost> StartAsync(StoreBackend backend, bool favorites = true)
    {
        List<string> args =
        [
            "--environment", "Production", "--urls", "http://127.0.0.1:0",
            "--Auth:JwtSecret", Secret, "--Auth:Issuer", Issuer,
            "--Limits:ApiRequestsPerMinute", "100000",
            "--Limits:McpRequestsPerMinute", "100000",
            "--Logging:LogLevel:Default", "Warning",
            "--Mcp:AllowSetFavorite", favorites ? "true" : "false",
        ];
        foreach (var (key, value) in backend.Settings)
        {
            args.Add("--" + key);
            args.Add(value);
        }

        var app = ChatServer.Build([.. args]);
        await app.StartAsync();
        return new HttpHost(app);
    }

    /// <summary>A valid Supabase-style access token for <paramref name="userId"/>.</summary>
    public static string Token(string userId, string secret = Secret) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Issuer = Issuer,
        Audience = "authenticated",
        Subject = new ClaimsIdentity([new Claim("sub", userId), new Claim("role", "authenticated")]),
        Expires = DateTime.UtcNow.AddHours(1),
        SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(Encoding.UTF8.GetBytes(secret)), SecurityAlgorithms.HmacSha256),
    });

    /// <summary>A transport with the given bearer token, or none.</summary>
    public HttpClientTransport TransportWith(string? token) => new(new HttpClientTransportOptions
    {
        Endpoint = Endpoint,
        TransportMode = HttpTransportMode.StreamableHttp,
        AdditionalHeaders = token is null ? null : new Dictionary<string, string> { ["Authorization"] = "Bearer " + token },
    });

    protected override IClientTransport CreateTransport(string userId) => TransportWith(Token(userId));

    public override async ValueTask DisposeAsync()
    {
        await base.DisposeAsync();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
