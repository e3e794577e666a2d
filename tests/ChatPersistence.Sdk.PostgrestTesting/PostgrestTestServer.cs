using System.Collections.Concurrent;
using ChatPersistence.Sdk.PostgrestTesting.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace ChatPersistence.Sdk.PostgrestTesting;

/// <summary>
/// A small PostgREST-compatible HTTP server on loopback, in front of a real PostgreSQL database, for testing clients of
/// Supabase's Data API without PostgREST (which cannot be installed here). It does what PostgREST and Supabase's API
/// gateway document for the requests it supports — the gateway's API keys (<c>sb_publishable_</c> / <c>sb_secret_</c> and
/// the legacy JWT keys), user tokens signed with the project's asymmetric keys (ES256/RS256, JWKS at
/// <c>/auth/v1/.well-known/jwks.json</c>) or the legacy HS256 secret, RPC calls, the table API as supabase-js uses it
/// (filters, order, limit/offset, <c>.single()</c>, exact counts and HEAD, <c>return=representation</c> with
/// <c>select=</c>, upserts with <c>on_conflict</c>), Content-Range and Preference-Applied, exposed schemas and profile
/// headers, one transaction per request with the role's own settings (Supabase's timeouts),
/// PostgREST's error bodies and status codes, the max-rows cap — and rejects what they would reject. Each emulated
/// behaviour cites the document it follows. Anything it does not emulate answers 501, never a guess.
/// </summary>
public sealed class PostgrestTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly NpgsqlDataSource _dataSource;
    private readonly List<(string Function, PostgrestFault Fault)> _faults = [];

    private PostgrestTestServer(WebApplication app, NpgsqlDataSource dataSource, PostgrestTestServerOptions options, Uri url)
    {
        _app = app;
        _dataSource = dataSource;
        Options = options;
        Url = url;
        AnonKey = TestJwt.ApiKey(options.JwtSecret, "anon");
        ServiceRoleKey = TestJwt.ApiKey(options.JwtSecret, "service_role");
        SigningKeys = new TestSigningKeys(options.JwtSecret);
        PublishableKey = SupabaseKey("sb_publishable_");
        SecretKey = SupabaseKey("sb_secret_");
        Verifier = new JwtVerifier(SigningKeys);
    }

    /// <summary>The project URL (the REST API is under <c>/rest/v1</c>, as on Supabase).</summary>
    public Uri Url { get; }

    /// <summary>The server's options.</summary>
    public PostgrestTestServerOptions Options { get; }

    /// <summary>The legacy anon key (an HS256 JWT with <c>role: anon</c>), accepted by the gateway check.</summary>
    public string AnonKey { get; }

    /// <summary>The legacy service-role key (an HS256 JWT with <c>role: service_role</c>), accepted by the gateway check.</summary>
    public string ServiceRoleKey { get; }

    /// <summary>The publishable API key (<c>sb_publishable_…</c>, not a JWT): the gateway maps it to the <c>anon</c> role.</summary>
    public string PublishableKey { get; }

    /// <summary>The secret API key (<c>sb_secret_…</c>, not a JWT): the gateway maps it to the <c>service_role</c> role.</summary>
    public string SecretKey { get; }

    /// <summary>The project's JWT signing keys (JWKS and the legacy secret).</summary>
    public TestSigningKeys SigningKeys { get; }

    /// <summary>The issuer of user tokens, as Supabase Auth sets it: <c>{project_url}/auth/v1</c>.</summary>
    public string Issuer => Url.ToString().TrimEnd('/') + "/auth/v1";

    internal JwtVerifier Verifier { get; }

    /// <summary>The role tokens the gateway mints for sb_ keys, one per role.</summary>
    internal ConcurrentDictionary<string, string> RoleTokens { get; } = new(StringComparer.Ordinal);

    /// <summary>The requests received so far when <see cref="PostgrestTestServerOptions.RecordRequests"/> is on.</summary>
    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>How many requests reached the database (committed or not) per function or table name.</summary>
    public ConcurrentDictionary<string, int> Executions { get; } = new(StringComparer.Ordinal);

    internal SchemaCache Schema { get; private set; } = null!;

    internal NpgsqlDataSource DataSource => _dataSource;

    /// <summary>Starts a server on a free loopback port.</summary>
    /// <param name="options">The database and settings.</param>
    /// <returns>The running server.</returns>
    public static async Task<PostgrestTestServer> StartAsync(PostgrestTestServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);

        // As PostgREST: connect as the login role; timestamps rendered in UTC as on Supabase. PostgREST's pool keeps its
        // connections as they are between requests (its per-request settings are transaction-local), so no DISCARD ALL
        // between requests either: that would throw away the plans the SQL functions cache, which PostgREST never does.
        var connection = new NpgsqlConnectionStringBuilder(options.ConnectionString)
        {
            Username = options.LoginRole,
            Password = options.LoginRole,
            Timezone = "UTC",
            Pooling = true,
            MaxPoolSize = 30,
            NoResetOnClose = true,
            // PostgREST forwards PostgreSQL's DETAIL as "details" (e.g. "Key (user_id, workflow_id)=(…) already exists."
            // for 23505); Npgsql redacts it unless asked.
            IncludeErrorDetail = true,
        };
        var dataSource = NpgsqlDataSource.Create(connection.ConnectionString);

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        PostgrestTestServer? server = null;
        app.Run(context => new PostgrestHandler(server!).HandleAsync(context));
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server = new PostgrestTestServer(app, dataSource, options, new Uri(address));
        await server.ReloadSchemaCacheAsync();
        return server;
    }

    /// <summary>Reloads the schema cache (PostgREST: <c>NOTIFY pgrst, 'reload schema'</c>).</summary>
    /// <returns>A task.</returns>
    public async Task ReloadSchemaCacheAsync() => Schema = await SchemaCache.LoadAsync(_dataSource, Options.ExposedSchemas);

    /// <summary>Makes the next request to <paramref name="function"/> (an RPC function or a table name) fail as described.</summary>
    /// <param name="function">The function or table name.</param>
    /// <param name="fault">The failure.</param>
    /// <param name="times">How many consecutive requests it applies to.</param>
    public void InjectFault(string function, PostgrestFault fault, int times = 1)
    {
        lock (_faults)
        {
            for (var i = 0; i < times; i++)
            {
                _faults.Add((function, fault));
            }
        }
    }

    /// <summary>
    /// A Supabase Auth access token for a user, as new projects issue them: signed with an asymmetric signing key (by default
    /// the current ES256 key), <c>kid</c> in the header, <c>iss</c> = <see cref="Issuer"/>.
    /// </summary>
    /// <param name="userId">The user.</param>
    /// <param name="lifetime">Time to expiry (negative: already expired). Default one hour.</param>
    /// <param name="keyId">The signing key (one of the <see cref="TestSigningKeys"/> ids). Default: the current ES256 key.</param>
    /// <returns>The token.</returns>
    public string CreateUserToken(Guid userId, TimeSpan? lifetime = null, string keyId = TestSigningKeys.CurrentKeyId) =>
        SigningKeys.Sign(TestJwt.UserClaims(userId, lifetime ?? TimeSpan.FromHours(1), Issuer), keyId);

    /// <summary>A legacy access token for a user: HS256 with the project's JWT secret.</summary>
    /// <param name="userId">The user.</param>
    /// <param name="lifetime">Time to expiry (negative: already expired). Default one hour.</param>
    /// <returns>The token.</returns>
    public string CreateLegacyUserToken(Guid userId, TimeSpan? lifetime = null) =>
        SigningKeys.SignHs256(TestJwt.UserClaims(userId, lifetime ?? TimeSpan.FromHours(1), Issuer));

    /// <summary>Stops the server.</summary>
    /// <returns>A task.</returns>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        await _dataSource.DisposeAsync();
    }

    // Supabase's opaque keys: a prefix and a random body (Supabase "API keys"); the body's exact format is not documented.
    private static string SupabaseKey(string prefix) =>
        prefix + Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    internal PostgrestFault? TakeFault(string function)
    {
        lock (_faults)
        {
            var index = _faults.FindIndex(f => f.Function == function);
            if (index < 0)
            {
                return null;
            }

            var fault = _faults[index].Fault;
            _faults.RemoveAt(index);
            return fault;
        }
    }
}
