using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Options;
using Xunit;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>The server in Production with Supabase authentication: keys from a JWKS served in-test, plus a legacy HS256 secret.</summary>
public sealed class SupabaseAuthFixture : IAsyncLifetime
{
    public const string Secret = "legacy-hs256-project-secret-of-at-least-32-chars";

    public JwksServer Jwks { get; private set; } = null!;

    public TestKey Es { get; } = TestKey.Es256("es-key-1");

    public TestKey Rsa { get; } = TestKey.Rs256("rsa-key-1");

    public TestKey Hs { get; } = TestKey.Hs256(Secret);

    public ServerFactory Base { get; } = new();

    public WebApplicationFactory<Program> Factory { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Jwks = await JwksServer.StartAsync();
        Jwks.Publish(Es, Rsa);
        Factory = Base.WithWebHostBuilder(builder => builder
            .UseEnvironment("Production")
            .UseSetting("Auth:SupabaseUrl", Jwks.Url)
            .UseSetting("Auth:RequireHttpsMetadata", "false")
            .UseSetting("Auth:JwtSecret", Secret));
    }

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        Base.Dispose();
        await Jwks.DisposeAsync();
        Es.Dispose();
        Rsa.Dispose();
    }
}

/// <summary>
/// Real Supabase access tokens: ES256 and RS256 from the project's JWKS (with a rotation and an unknown <c>kid</c>), HS256 on
/// legacy projects; each claim the server must refuse; 401 with <c>WWW-Authenticate</c>; no development tokens or OpenAPI.
/// </summary>
public sealed class AuthTests(SupabaseAuthFixture fixture) : IClassFixture<SupabaseAuthFixture>
{
    [Theory]
    [InlineData("ES256")]
    [InlineData("RS256")]
    [InlineData("HS256")]
    public async Task A_supabase_access_token_signed_by_a_project_key_is_accepted(string alg)
    {
        var key = alg switch { "ES256" => fixture.Es, "RS256" => fixture.Rsa, _ => fixture.Hs };
        var user = Guid.NewGuid();

        var response = await GetMeAsync(key.Sign(TestKey.Claims(fixture.Jwks.Issuer, user)));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadFromJsonAsync<JsonObject>())!["userId"]!.GetValue<string>().Should().Be(user.ToString());
    }

    [Fact]
    public async Task The_socket_takes_the_token_from_the_query_and_the_user_is_the_tokens_sub()
    {
        var user = Guid.NewGuid();
        var token = fixture.Es.Sign(TestKey.Claims(fixture.Jwks.Issuer, user));
        using var socket = await ServerClient.ConnectAsync(fixture.Factory, token, "wf-auth");
        await ServerClient.ReceiveAsync(socket, "history");
        await ServerClient.SendAsync(socket, new { type = "send", id = Guid.NewGuid(), content = "hello" });
        await ServerClient.ReceiveAsync(socket, "saved");

        var sessions = await fixture.Base.Store.ListSessionsAsync(user.ToString());
        sessions.Items.Should().ContainSingle(s => s.WorkflowId == "wf-auth");
    }

    [Fact]
    public async Task A_rotated_key_is_fetched_when_a_token_names_it_and_a_key_never_published_is_refused()
    {
        // A server of its own: the on-demand JWKS re-read is throttled per server (one per 30 s), and other tests send unknown kids.
        await using var jwks = await JwksServer.StartAsync();
        jwks.Publish(fixture.Es);
        await using var factory = fixture.Base.WithWebHostBuilder(builder => builder
            .UseEnvironment("Production").UseSetting("Auth:SupabaseUrl", jwks.Url).UseSetting("Auth:RequireHttpsMetadata", "false"));
        using var rotated = TestKey.Es256("es-key-rotated");
        using var unknown = TestKey.Es256("es-key-unknown");
        (await GetMeAsync(factory, fixture.Es.Sign(TestKey.Claims(jwks.Issuer, Guid.NewGuid())))).StatusCode.Should().Be(HttpStatusCode.OK);

        jwks.Publish(rotated, fixture.Es);
        var fetches = jwks.Fetches;

        // A token naming a kid the server has not seen makes the framework re-read the JWKS (JwtBearer's
        // RefreshOnIssuerKeyNotFound); the re-read runs beside that request, so the token is accepted from the next one.
        var token = rotated.Sign(TestKey.Claims(jwks.Issuer, Guid.NewGuid()));
        var statuses = new List<HttpStatusCode>();
        for (var attempt = 0; attempt < 50 && statuses.LastOrDefault() != HttpStatusCode.OK; attempt++)
        {
            statuses.Add((await GetMeAsync(factory, token)).StatusCode);
            await Task.Delay(statuses[^1] == HttpStatusCode.OK ? 0 : 100);
        }

        statuses.Should().EndWith(HttpStatusCode.OK).And.HaveCountLessThan(3, "the key set is re-read at the first unknown kid");
        jwks.Fetches.Should().BeGreaterThan(fetches);
        (await GetMeAsync(factory, fixture.Es.Sign(TestKey.Claims(jwks.Issuer, Guid.NewGuid())))).StatusCode.Should().Be(HttpStatusCode.OK, "the previous key stays valid while it is published");

        var refused = await GetMeAsync(factory, unknown.Sign(TestKey.Claims(jwks.Issuer, Guid.NewGuid())));
        refused.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        refused.Headers.WwwAuthenticate.Should().ContainSingle(h => h.Scheme == "Bearer");
    }

    [Fact]
    public async Task A_new_key_is_accepted_about_a_second_after_its_first_token_even_right_after_another_unknown_kid()
    {
        await using var jwks = await JwksServer.StartAsync();
        jwks.Publish(fixture.Es);
        await using var factory = fixture.Base.WithWebHostBuilder(builder => builder
            .UseEnvironment("Production").UseSetting("Auth:SupabaseUrl", jwks.Url).UseSetting("Auth:RequireHttpsMetadata", "false"));
        (await GetMeAsync(factory, fixture.Es.Sign(TestKey.Claims(jwks.Issuer, Guid.NewGuid())))).StatusCode.Should().Be(HttpStatusCode.OK);

        // A token with a made-up kid spends the on-demand re-read (the framework allows one per RefreshInterval)...
        using var garbage = TestKey.Es256("es-key-garbage");
        var fetches = jwks.Fetches;
        (await GetMeAsync(factory, garbage.Sign(TestKey.Claims(jwks.Issuer, Guid.NewGuid())))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        while (jwks.Fetches == fetches)
        {
            await Task.Delay(50);
        }

        // ...then the project rotates: the new key's tokens are refused only until the next re-read, about a second later
        // (with the 30 s interval the sample had, 30 s of refusals: every attempt below).
        using var rotated = TestKey.Es256("es-key-rotated-soon");
        jwks.Publish(rotated, fixture.Es);
        var token = rotated.Sign(TestKey.Claims(jwks.Issuer, Guid.NewGuid()));
        var statuses = new List<HttpStatusCode>();
        for (var attempt = 0; attempt < 40 && statuses.LastOrDefault() != HttpStatusCode.OK; attempt++)
        {
            statuses.Add((await GetMeAsync(factory, token)).StatusCode);
            await Task.Delay(statuses[^1] == HttpStatusCode.OK ? 0 : 250);
        }

        statuses.Should().EndWith(HttpStatusCode.OK, "the key set is re-read at most a second after the previous re-read, not 30 s");
    }

    [Fact]
    public async Task Anonymous_users_are_served_by_default_and_refused_with_403_when_the_host_says_so()
    {
        var anonymous = fixture.Es.Sign(TestKey.Claims(fixture.Jwks.Issuer, Guid.NewGuid(), c => c["is_anonymous"] = true));
        var signedIn = fixture.Es.Sign(TestKey.Claims(fixture.Jwks.Issuer, Guid.NewGuid(), c => c["is_anonymous"] = false));
        (await GetMeAsync(anonymous)).StatusCode.Should().Be(HttpStatusCode.OK, "Supabase's anonymous sign-ins are users (documented)");

        await using var strict = fixture.Factory.WithWebHostBuilder(builder => builder.UseSetting("Auth:AllowAnonymousUsers", "false"));
        (await GetMeAsync(strict, anonymous)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await GetMeAsync(strict, signedIn)).StatusCode.Should().Be(HttpStatusCode.OK);

        var socket = strict.Server.CreateWebSocketClient();
        var connect = () => socket.ConnectAsync(new Uri(strict.Server.BaseAddress, $"ws/chat?workflowId=wf-anon&access_token={anonymous}"), CancellationToken.None);
        await connect.Should().ThrowAsync<InvalidOperationException>().WithMessage("*403*");
        using var http = strict.CreateClient();
        using var mcp = new HttpRequestMessage(HttpMethod.Post, "/mcp") { Content = JsonContent.Create(new { jsonrpc = "2.0", id = 1, method = "tools/list" }) };
        mcp.Headers.Authorization = new AuthenticationHeaderValue("Bearer", anonymous);
        mcp.Headers.Accept.ParseAdd("application/json, text/event-stream");
        (await http.SendAsync(mcp)).StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    public static TheoryData<string> RefusedClaims => new()
    {
        "expired", "not yet valid", "no exp", "wrong issuer", "no issuer", "wrong audience", "no audience", "role anon", "role service_role",
        "no role", "nil sub", "sub not a uuid", "no sub",
    };

    [Theory]
    [MemberData(nameof(RefusedClaims))]
    public async Task A_token_with_a_refused_claim_gets_401_with_www_authenticate(string what)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var claims = TestKey.Claims(fixture.Jwks.Issuer, Guid.NewGuid(), c =>
        {
            switch (what)
            {
                case "expired": c["exp"] = now - 120; break;
                case "not yet valid": c["nbf"] = now + 600; break;
                case "no exp": c.Remove("exp"); break;
                case "wrong issuer": c["iss"] = "https://other.supabase.co/auth/v1"; break;
                case "no issuer": c.Remove("iss"); break;
                case "wrong audience": c["aud"] = "anon"; break;
                case "no audience": c.Remove("aud"); break;
                case "role anon": c["role"] = "anon"; break;
                case "role service_role": c["role"] = "service_role"; break;
                case "no role": c.Remove("role"); break;
                case "nil sub": c["sub"] = Guid.Empty.ToString(); break;
                case "sub not a uuid": c["sub"] = "ceo"; break;
                case "no sub": c.Remove("sub"); break;
            }
        });

        foreach (var key in new[] { fixture.Es, fixture.Hs })
        {
            var response = await GetMeAsync(key.Sign(claims));
            response.StatusCode.Should().Be(HttpStatusCode.Unauthorized, $"{what} ({key.Alg})");
            response.Headers.WwwAuthenticate.Should().ContainSingle(h => h.Scheme == "Bearer");
        }
    }

    public static TheoryData<string> RefusedSignatures => new()
    {
        "alg none", "wrong secret", "ES256 header on the RSA key", "RS256 header on the EC key", "HS256 header with the EC key's kid",
        "duplicate header keys", "tampered payload", "garbage",
    };

    [Theory]
    [MemberData(nameof(RefusedSignatures))]
    public async Task A_token_not_signed_as_its_key_requires_gets_401(string what)
    {
        var claims = TestKey.Claims(fixture.Jwks.Issuer, Guid.NewGuid());
        using var wrongSecret = TestKey.Hs256("not-the-project-secret-but-long-enough-0123456789");
        var token = what switch
        {
            "alg none" => TestKey.B64("""{"alg":"none","typ":"JWT"}"""u8.ToArray()) + "." + TestKey.B64(System.Text.Encoding.UTF8.GetBytes(claims.ToJsonString())) + ".",
            "wrong secret" => wrongSecret.Sign(claims),
            "ES256 header on the RSA key" => fixture.Rsa.Sign(claims, """{"alg":"ES256","kid":"rsa-key-1","typ":"JWT"}"""),
            "RS256 header on the EC key" => fixture.Es.Sign(claims, """{"alg":"RS256","kid":"es-key-1","typ":"JWT"}"""),
            "HS256 header with the EC key's kid" => fixture.Hs.Sign(claims, """{"alg":"HS256","kid":"es-key-1","typ":"JWT"}""") is var t ? t : t,
            "duplicate header keys" => fixture.Es.Sign(claims, """{"alg":"ES256","kid":"es-key-1","kid":"rsa-key-1","typ":"JWT"}"""),
            "tampered payload" => Tamper(fixture.Es.Sign(claims)),
            _ => "not.a.jwt",
        };

        var response = await GetMeAsync(token);

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized, what);
        response.Headers.WwwAuthenticate.Should().ContainSingle(h => h.Scheme == "Bearer");
    }

    [Fact]
    public async Task Without_a_token_the_api_answers_401_with_a_bearer_challenge()
    {
        using var http = fixture.Factory.CreateClient();
        var response = await http.GetAsync("/api/sessions");
        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.Should().ContainSingle(h => h.Scheme == "Bearer");
    }

    [Fact]
    public async Task Outside_development_there_are_no_development_tokens_and_no_openapi_document()
    {
        using var http = fixture.Factory.CreateClient();
        (await http.PostAsJsonAsync("/dev/token", new { name = "ceo" })).StatusCode.Should().BeOneOf(HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed);
        (await http.GetAsync("/openapi/v1.json")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task In_development_with_auth_configured_there_are_no_development_tokens_either()
    {
        await using var factory = fixture.Base.WithWebHostBuilder(builder => builder
            .UseEnvironment("Development").UseSetting("Auth:JwtSecret", SupabaseAuthFixture.Secret).UseSetting("Auth:SupabaseUrl", fixture.Jwks.Url)
            .UseSetting("Auth:RequireHttpsMetadata", "false"));
        using var http = factory.CreateClient();
        (await http.PostAsJsonAsync("/dev/token", new { name = "ceo" })).StatusCode.Should().BeOneOf(HttpStatusCode.NotFound, HttpStatusCode.MethodNotAllowed);
    }

    [Fact]
    public async Task A_development_token_from_one_server_is_worthless_to_another()
    {
        // Development tokens are signed with a random key of their own: not the project secret, not shared between processes.
        var (devToken, _) = await ServerClient.TokenAsync(fixture.Base, "ceo");
        (await GetMeAsync(devToken)).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        await using var other = new ServerFactory();
        using var http = ServerClient.Http(other, devToken);
        (await http.GetAsync("/api/me")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Theory]
    [InlineData("Production", null, null, "Auth:SupabaseUrl")]
    [InlineData("Staging", null, null, "Auth:SupabaseUrl")]
    [InlineData("Production", "http://project.example", null, "https")]
    [InlineData("Production", null, "short-secret", "at least 32")]
    [InlineData("Production", null, SupabaseAuthFixture.Secret, "issuer")]
    public async Task A_configuration_that_must_not_run_stops_the_server_at_start_up(string environment, string? url, string? secret, string message)
    {
        string[] args = ["--environment", environment, "--urls", "http://127.0.0.1:0", "--ChatPersistence:Store", "InMemory"];
        args = [.. args, .. url is null ? [] : new[] { "--Auth:SupabaseUrl", url }, .. secret is null ? [] : new[] { "--Auth:JwtSecret", secret }];
        await using var app = ChatServer.Build(args);

        var start = () => app.StartAsync();

        (await start.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain(message);
    }

    [Fact]
    public async Task Production_without_auth_exits_non_zero_and_says_what_to_set()
    {
        var server = Path.Combine(AppContext.BaseDirectory, "chat-server.dll");
        var info = new System.Diagnostics.ProcessStartInfo("dotnet", [server, "--urls", "http://127.0.0.1:0", "--ChatPersistence:Store", "InMemory"])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        info.Environment.Remove("DOTNET_ENVIRONMENT");
        using var process = System.Diagnostics.Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);

        process.ExitCode.Should().NotBe(0);
        (await stderr).Should().Contain("cannot start").And.Contain("Auth:SupabaseUrl").And.Contain("Auth:JwtSecret").And.NotContain("   at ");
        (await stdout).Should().NotContain("open http");
    }

    private static string Tamper(string token)
    {
        var parts = token.Split('.');
        var payload = JsonNode.Parse(Convert.FromBase64String(Pad(parts[1])))!.AsObject();
        payload["sub"] = Guid.NewGuid().ToString();
        return parts[0] + "." + TestKey.B64(System.Text.Encoding.UTF8.GetBytes(payload.ToJsonString())) + "." + parts[2];
    }

    private static string Pad(string s)
    {
        s = s.Replace('-', '+').Replace('_', '/');
        return s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '=');
    }

    private Task<HttpResponseMessage> GetMeAsync(string token) => GetMeAsync(fixture.Factory, token);

    private static async Task<HttpResponseMessage> GetMeAsync(WebApplicationFactory<Program> factory, string token)
    {
        using var http = factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await http.GetAsync("/api/me");
    }
}
