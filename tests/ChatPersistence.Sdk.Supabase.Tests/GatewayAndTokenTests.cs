using System.Text.Json.Nodes;
using ChatPersistence.Sdk.PostgrestTesting;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.Supabase.Tests;

/// <summary>
/// Supabase's gateway and PostgREST's token check as new projects have them, with raw requests: sb_publishable_ /
/// sb_secret_ keys turned into the role's token, an sb_ bearer only when it equals apikey, no secret key from a browser,
/// Supabase's 401 bodies; user tokens signed ES256/RS256 and checked against the JWKS by kid (rotation), the legacy HS256
/// secret, PostgREST's errors for every refused token.
/// </summary>
public sealed class GatewayAndTokenTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private SupabaseEnvironment Env => fixture.Environment;

    private PostgrestTestServer Server => Env.Server;

    [Fact]
    public async Task The_publishable_key_alone_runs_as_anon_and_the_secret_key_alone_as_service_role()
    {
        var user = (await Env.CreateUserAsync()).ToString();
        var anon = await RawApi.RpcAsync(Env, "chat_list_sessions", null, new JsonObject { ["p_limit"] = 1, ["p_user_id"] = user }, Server.PublishableKey);
        anon.Status.Should().Be(401);
        RawApi.Error(anon.Body)["code"]!.GetValue<string>().Should().Be("42501");

        var service = await RawApi.RpcAsync(Env, "chat_list_sessions", null, new JsonObject { ["p_limit"] = 1, ["p_user_id"] = user }, Server.SecretKey);
        service.Status.Should().Be(200, service.Body);
        service.Body.Should().Be("[]");
    }

    [Fact]
    public async Task An_sb_key_as_bearer_is_accepted_only_when_it_equals_apikey()
    {
        var user = (await Env.CreateUserAsync()).ToString();
        var arguments = new JsonObject { ["p_limit"] = 1, ["p_user_id"] = user };
        (await RawApi.RpcAsync(Env, "chat_list_sessions", Server.SecretKey, arguments, Server.SecretKey)).Status.Should().Be(200);

        var mismatched = await RawApi.RpcAsync(Env, "chat_list_sessions", Server.SecretKey, arguments, Server.PublishableKey);
        mismatched.Status.Should().Be(401);
        RawApi.Error(mismatched.Body)["message"]!.GetValue<string>().Should().Be("Invalid API key");
    }

    [Fact]
    public async Task A_secret_key_from_a_browser_is_refused()
    {
        var (status, body, _) = await RawApi.SendAsync(Env, HttpMethod.Post, "/rest/v1/rpc/chat_list_sessions", Server.SecretKey, null, """{"p_limit":1}""",
            headers: new Dictionary<string, string> { ["User-Agent"] = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/156.0 Safari/537.36" });

        status.Should().Be(401);
        RawApi.Error(body)["message"]!.GetValue<string>().Should().Be("Forbidden use of secret API key in browser");
    }

    [Fact]
    public async Task Missing_and_unknown_keys_get_supabases_401_bodies_with_hints()
    {
        var missing = await RawApi.SendAsync(Env, HttpMethod.Post, "/rest/v1/rpc/chat_list_sessions", null, null, """{"p_limit":1}""");
        missing.Status.Should().Be(401);
        RawApi.Error(missing.Body).ToJsonString().Should().Be("""{"message":"No API key found in request","hint":"No \u0060apikey\u0060 request header or url param was found."}""");

        var unknown = await RawApi.SendAsync(Env, HttpMethod.Post, "/rest/v1/rpc/chat_list_sessions", "sb_publishable_not-this-projects", null, """{"p_limit":1}""");
        unknown.Status.Should().Be(401);
        RawApi.Error(unknown.Body)["message"]!.GetValue<string>().Should().Be("Invalid API key");
        RawApi.Error(unknown.Body)["hint"]!.GetValue<string>().Should().Contain("API key");
    }

    [Fact]
    public async Task The_jwks_lists_the_published_asymmetric_keys_by_kid_and_no_secret()
    {
        var response = await Env.Http.GetAsync(new Uri(Server.Url, "/auth/v1/.well-known/jwks.json"));
        response.StatusCode.Should().Be(System.Net.HttpStatusCode.OK);
        var keys = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["keys"]!.AsArray();

        keys.Select(k => k!["kid"]!.GetValue<string>()).Should().BeEquivalentTo([TestSigningKeys.CurrentKeyId, TestSigningKeys.PreviousKeyId, TestSigningKeys.RsaKeyId]);
        keys.Select(k => k!["alg"]!.GetValue<string>()).Should().BeEquivalentTo(["ES256", "ES256", "RS256"]);
        keys.Should().OnlyContain(k => k!["d"] == null && k["k"] == null, "a JWKS holds public keys only");
    }

    [Theory]
    [InlineData(TestSigningKeys.CurrentKeyId)]
    [InlineData(TestSigningKeys.PreviousKeyId)]
    [InlineData(TestSigningKeys.RsaKeyId)]
    public async Task User_tokens_signed_by_any_published_key_are_accepted(string keyId)
    {
        var user = await Env.CreateUserAsync();
        var (status, body, _) = await RawApi.RpcAsync(Env, "chat_get_or_create_session", Server.CreateUserToken(user, keyId: keyId),
            new JsonObject { ["p_workflow_id"] = "wf-" + keyId }, Server.PublishableKey);

        status.Should().Be(200, body);
        JsonNode.Parse(body)![0]!["user_id"]!.GetValue<string>().Should().Be(user.ToString());
    }

    [Fact]
    public async Task Legacy_hs256_user_tokens_still_work_with_either_kind_of_key()
    {
        var user = await Env.CreateUserAsync();
        foreach (var key in new[] { Server.PublishableKey, Server.AnonKey })
        {
            (await RawApi.RpcAsync(Env, "chat_list_sessions", Server.CreateLegacyUserToken(user), new JsonObject { ["p_limit"] = 1 }, key)).Status.Should().Be(200);
        }
    }

    [Fact]
    public async Task Refused_tokens_get_postgrests_errors_and_a_bearer_challenge()
    {
        var user = await Env.CreateUserAsync();
        var claims = TestJwt.UserClaims(user, TimeSpan.FromHours(1), Server.Issuer);
        var notYet = TestJwt.UserClaims(user, TimeSpan.FromHours(2), Server.Issuer);
        notYet["nbf"] = DateTimeOffset.UtcNow.AddMinutes(10).ToUnixTimeSeconds();
        var unknownKid = Server.SigningKeys.Sign(claims, TestSigningKeys.RevokedKeyId);
        var cases = new (string Name, string Token, string Code, string Message)[]
        {
            ("expired", Server.CreateUserToken(user, TimeSpan.FromMinutes(-5)), "PGRST303", "JWT expired"),
            ("not yet valid", Server.SigningKeys.Sign(notYet), "PGRST303", "JWT not yet valid"),
            ("kid not in the JWKS", unknownKid, "PGRST301", "No suitable key or wrong key type"),
            ("alg confusion: public key as HMAC secret", Server.SigningKeys.ForgeWithPublicKeyAsHmacSecret(claims), "PGRST301", "JWT cryptographic operation failed"),
            ("HS256 with another secret", Server.SigningKeys.SignHs256(claims, "another-secret-another-secret-another-se"), "PGRST301", "JWT cryptographic operation failed"),
            ("alg none", Unsigned(claims), "PGRST301", "Wrong or unsupported encoding algorithm"),
            ("two parts", "abc.def", "PGRST301", "Expected 3 parts in JWT; got 2"),
        };

        foreach (var (name, token, code, message) in cases)
        {
            var (status, body, response) = await RawApi.RpcAsync(Env, "chat_list_sessions", token, new JsonObject { ["p_limit"] = 1 }, Server.PublishableKey);
            status.Should().Be(401, name);
            RawApi.Error(body)["code"]!.GetValue<string>().Should().Be(code, name);
            RawApi.Error(body)["message"]!.GetValue<string>().Should().Be(message, name);
            response.Headers.WwwAuthenticate.ToString().Should().StartWith("Bearer error=\"invalid_token\"", name);
        }
    }

    [Fact]
    public async Task A_rotated_out_key_stops_working_once_it_leaves_the_jwks()
    {
        await using var env = await SupabaseEnvironment.StartAsync();
        var user = await env.CreateUserAsync();
        var token = env.Server.CreateUserToken(user, keyId: TestSigningKeys.PreviousKeyId);
        (await RawApi.RpcAsync(env, "chat_list_sessions", token, new JsonObject { ["p_limit"] = 1 }, env.Server.PublishableKey)).Status.Should().Be(200);

        env.Server.SigningKeys.Revoke(TestSigningKeys.PreviousKeyId);

        var refused = await RawApi.RpcAsync(env, "chat_list_sessions", token, new JsonObject { ["p_limit"] = 1 }, env.Server.PublishableKey);
        refused.Status.Should().Be(401);
        RawApi.Error(refused.Body)["code"]!.GetValue<string>().Should().Be("PGRST301");
        (await RawApi.RpcAsync(env, "chat_list_sessions", env.Server.CreateUserToken(user), new JsonObject { ["p_limit"] = 1 }, env.Server.PublishableKey)).Status.Should().Be(200);
    }

    [Fact]
    public async Task Expiry_allows_postgrests_thirty_seconds_of_skew()
    {
        var user = await Env.CreateUserAsync();
        var token = Server.CreateUserToken(user, TimeSpan.FromSeconds(-10));

        (await RawApi.RpcAsync(Env, "chat_list_sessions", token, new JsonObject { ["p_limit"] = 1 }, Server.PublishableKey)).Status.Should().Be(200);
    }

    [Fact]
    public async Task A_token_without_a_role_claim_runs_as_anon()
    {
        var user = await Env.CreateUserAsync();
        var claims = TestJwt.UserClaims(user, TimeSpan.FromHours(1), Server.Issuer);
        claims.Remove("role");

        var (status, body, _) = await RawApi.RpcAsync(Env, "chat_list_sessions", Server.SigningKeys.Sign(claims), new JsonObject { ["p_limit"] = 1 }, Server.PublishableKey);

        status.Should().Be(401, "anon may not call the chat functions");
        RawApi.Error(body)["code"]!.GetValue<string>().Should().Be("42501");
    }

    private static string Unsigned(JsonObject claims) =>
        Base64Url("""{"alg":"none","typ":"JWT"}"""u8.ToArray()) + "." + Base64Url(System.Text.Encoding.UTF8.GetBytes(claims.ToJsonString())) + ".";

    private static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
