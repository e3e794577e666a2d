using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// A stand-in for Supabase Auth's key endpoint on a real loopback port: serves <c>/auth/v1/.well-known/jwks.json</c> with the
/// keys the test publishes (and can rotate), and counts the fetches; and its OAuth 2.1 server's metadata
/// (<c>/.well-known/oauth-authorization-server/auth/v1</c>), where MCP clients' sign-in discovery ends.
/// </summary>
public sealed class JwksServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private volatile JsonObject _jwks = new() { ["keys"] = new JsonArray() };
    private int _fetches;
    private int _metadataFetches;

    private JwksServer(WebApplication app) => _app = app;

    /// <summary>The project URL to configure as <c>Auth:SupabaseUrl</c>.</summary>
    public string Url => _app.Urls.First();

    /// <summary>The issuer tokens carry: <c>{Url}/auth/v1</c>.</summary>
    public string Issuer => Url + "/auth/v1";

    public int Fetches => Volatile.Read(ref _fetches);

    /// <summary>How many times the authorization server metadata was read.</summary>
    public int MetadataFetches => Volatile.Read(ref _metadataFetches);

    public static async Task<JwksServer> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new JwksServer(app);
        app.MapGet("/auth/v1/.well-known/jwks.json", () =>
        {
            Interlocked.Increment(ref server._fetches);
            return Results.Text(server._jwks.ToJsonString(), "application/json");
        });
        // Supabase Auth's OAuth 2.1 server publishes its metadata where RFC 8414 puts it for an issuer with a path.
        app.MapGet("/.well-known/oauth-authorization-server/auth/v1", (HttpContext context) =>
        {
            Interlocked.Increment(ref server._metadataFetches);
            var issuer = $"{context.Request.Scheme}://{context.Request.Host}/auth/v1";
            return Results.Json(new JsonObject
            {
                ["issuer"] = issuer,
                ["authorization_endpoint"] = issuer + "/oauth/authorize",
                ["token_endpoint"] = issuer + "/oauth/token",
                ["jwks_uri"] = issuer + "/.well-known/jwks.json",
                ["response_types_supported"] = new JsonArray("code"),
                ["grant_types_supported"] = new JsonArray("authorization_code", "refresh_token"),
                ["code_challenge_methods_supported"] = new JsonArray("S256"),
                ["token_endpoint_auth_methods_supported"] = new JsonArray("none", "client_secret_basic"),
            });
        });
        await app.StartAsync();
        return server;
    }

    /// <summary>Publishes exactly these keys (a rotation replaces the list).</summary>
    public void Publish(params TestKey[] keys) =>
        _jwks = new JsonObject { ["keys"] = new JsonArray(keys.Select(k => (JsonNode)k.PublicJwk()).ToArray()) };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
