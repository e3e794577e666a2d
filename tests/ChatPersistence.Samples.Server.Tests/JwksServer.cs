using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// A stand-in for Supabase Auth's key endpoint on a real loopback port: serves <c>/auth/v1/.well-known/jwks.json</c> with the
/// keys the test publishes (and can rotate), and counts the fetches.
/// </summary>
public sealed class JwksServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private volatile JsonObject _jwks = new() { ["keys"] = new JsonArray() };
    private int _fetches;

    private JwksServer(WebApplication app) => _app = app;

    /// <summary>The project URL to configure as <c>Auth:SupabaseUrl</c>.</summary>
    public string Url => _app.Urls.First();

    /// <summary>The issuer tokens carry: <c>{Url}/auth/v1</c>.</summary>
    public string Issuer => Url + "/auth/v1";

    public int Fetches => Volatile.Read(ref _fetches);

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
