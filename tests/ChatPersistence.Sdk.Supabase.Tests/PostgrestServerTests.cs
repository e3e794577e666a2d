using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.Supabase.Tests;

/// <summary>
/// The PostgREST-compatible test server on its own, with raw HTTP requests written from PostgREST's and Supabase's
/// documentation, so the Supabase store's tests rest on a server that behaves as documented.
/// </summary>
public sealed partial class PostgrestServerTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private SupabaseEnvironment Env => fixture.Environment;

    private string Service => Env.Server.ServiceRoleKey;

    [Fact]
    public async Task A_set_returning_function_answers_a_json_array_with_timestamps_in_utc_iso_8601()
    {
        var user = await Env.CreateUserAsync();
        var (status, body, response) = await RawApi.RpcAsync(Env, "chat_get_or_create_session", Service,
            new JsonObject { ["p_workflow_id"] = "wf", ["p_user_id"] = user.ToString() }, Service);

        status.Should().Be(200);
        response.Content.Headers.ContentType!.ToString().Should().Be("application/json; charset=utf-8");
        var rows = JsonNode.Parse(body)!.AsArray();
        rows.Should().ContainSingle();
        rows[0]!["user_id"]!.GetValue<string>().Should().Be(user.ToString());
        rows[0]!["message_count"]!.GetValue<long>().Should().Be(0);
        rows[0]!["created_at"]!.GetValue<string>().Should().MatchRegex(Iso8601Utc().ToString());
    }

    [Fact]
    public async Task A_scalar_function_answers_its_bare_json_value()
    {
        var (status, body, _) = await RawApi.RpcAsync(Env, "chat_delete_session", Service,
            new JsonObject { ["p_session_id"] = Guid.NewGuid().ToString(), ["p_user_id"] = Guid.NewGuid().ToString() }, Service);

        status.Should().Be(200);
        body.Should().Be("false");
    }

    [Theory]
    [InlineData("no_such_function", """{"p_x":1}""")]
    [InlineData("chat_delete_session", """{"p_session_id":"00000000-0000-0000-0000-000000000001","p_unknown":1}""")]
    [InlineData("chat_delete_session", """{"p_user_id":"00000000-0000-0000-0000-000000000001"}""")]
    public async Task Unknown_functions_and_argument_sets_are_404_PGRST202_with_postgrest_error_body(string function, string json)
    {
        var (status, body, _) = await RawApi.SendAsync(Env, HttpMethod.Post, "/rest/v1/rpc/" + function, Service, Service, json);

        status.Should().Be(404);
        var error = RawApi.Error(body);
        error.Select(p => p.Key).Should().BeEquivalentTo(["code", "details", "hint", "message"]);
        error["code"]!.GetValue<string>().Should().Be("PGRST202");
        error["message"]!.GetValue<string>().Should().StartWith($"Could not find the function public.{function}(");
    }

    [Fact]
    public async Task The_gateway_requires_a_known_api_key()
    {
        var missing = await RawApi.SendAsync(Env, HttpMethod.Post, "/rest/v1/rpc/chat_list_sessions", null, null, """{"p_limit":1}""");
        missing.Status.Should().Be(401);
        RawApi.Error(missing.Body)["message"]!.GetValue<string>().Should().Be("No API key found in request");

        var wrong = await RawApi.SendAsync(Env, HttpMethod.Post, "/rest/v1/rpc/chat_list_sessions", "not-a-key", null, """{"p_limit":1}""");
        wrong.Status.Should().Be(401);

        var noRoute = await RawApi.SendAsync(Env, HttpMethod.Get, "/elsewhere", Service, null, null);
        noRoute.Status.Should().Be(404);
    }

    [Fact]
    public async Task Without_authorization_the_request_runs_as_anon_and_insufficient_privilege_is_401()
    {
        var (status, body, _) = await RawApi.RpcAsync(Env, "chat_list_sessions", null, new JsonObject { ["p_limit"] = 1 });

        status.Should().Be(401);
        RawApi.Error(body)["code"]!.GetValue<string>().Should().Be("42501");
    }

    [Fact]
    public async Task An_authenticated_request_refused_by_privileges_is_403()
    {
        var user = await Env.CreateUserAsync();
        var (status, body, _) = await RawApi.RpcAsync(Env, "chat_delete_idle_sessions", Env.Server.CreateUserToken(user),
            new JsonObject { ["p_idle_before"] = "2020-01-01T00:00:00Z" });

        status.Should().Be(403);
        RawApi.Error(body)["code"]!.GetValue<string>().Should().Be("42501");
    }

    [Fact]
    public async Task Expired_forged_and_unsigned_tokens_are_401_with_a_bearer_challenge()
    {
        var user = await Env.CreateUserAsync();
        var expired = Env.Server.CreateUserToken(user, TimeSpan.FromMinutes(-5));
        var forged = PostgrestTesting.TestJwt.UserToken("another-secret-another-secret-another-se", user, TimeSpan.FromHours(1));
        var parts = Env.Server.CreateUserToken(user).Split('.');
        var unsigned = Convert.ToBase64String("""{"alg":"none","typ":"JWT"}"""u8.ToArray()).TrimEnd('=') + "." + parts[1] + ".";

        foreach (var (token, code) in new[] { (expired, "PGRST303"), (forged, "PGRST301"), (unsigned, "PGRST301"), ("garbage", "PGRST301") })
        {
            var (status, body, response) = await RawApi.RpcAsync(Env, "chat_list_sessions", token, new JsonObject { ["p_limit"] = 1 });
            status.Should().Be(401, token);
            RawApi.Error(body)["code"]!.GetValue<string>().Should().Be(code);
            response.Headers.WwwAuthenticate.ToString().Should().StartWith("Bearer error=\"invalid_token\"");
        }
    }

    [Fact]
    public async Task Custom_PTxyz_sqlstates_set_the_status_and_invalid_input_is_400()
    {
        var user = await Env.CreateUserAsync();
        var token = Env.Server.CreateUserToken(user);
        var notFound = await RawApi.RpcAsync(Env, "chat_clear_session", token, new JsonObject { ["p_session_id"] = Guid.NewGuid().ToString() });
        notFound.Status.Should().Be(404);
        RawApi.Error(notFound.Body)["code"]!.GetValue<string>().Should().Be("PT404");

        var invalid = await RawApi.RpcAsync(Env, "chat_get_or_create_session", token, new JsonObject { ["p_workflow_id"] = "" });
        invalid.Status.Should().Be(400);
        RawApi.Error(invalid.Body)["code"]!.GetValue<string>().Should().Be("22023");

        var session = JsonNode.Parse((await RawApi.RpcAsync(Env, "chat_get_or_create_session", token, new JsonObject { ["p_workflow_id"] = "wf" })).Body)![0]!["id"]!.GetValue<string>();
        var id = Guid.NewGuid().ToString();
        JsonObject Append(string content) => new()
        {
            ["p_session_id"] = session,
            ["p_messages"] = new JsonArray(new JsonObject { ["id"] = id, ["role"] = "user", ["content"] = content }),
        };
        (await RawApi.RpcAsync(Env, "chat_append_messages", token, Append("one"))).Status.Should().Be(200);
        var conflict = await RawApi.RpcAsync(Env, "chat_append_messages", token, Append("two"));
        conflict.Status.Should().Be(409);
        RawApi.Error(conflict.Body)["code"]!.GetValue<string>().Should().Be("PT409");
    }

    [Fact]
    public async Task Malformed_json_wrong_content_type_and_wrong_verbs_are_refused_as_postgrest_does()
    {
        var malformed = await RawApi.SendAsync(Env, HttpMethod.Post, "/rest/v1/rpc/chat_list_sessions", Service, Service, "{\"p_limit\":");
        malformed.Status.Should().Be(400);
        RawApi.Error(malformed.Body)["code"]!.GetValue<string>().Should().Be("PGRST102");

        var xml = await RawApi.SendAsync(Env, HttpMethod.Post, "/rest/v1/rpc/chat_list_sessions", Service, Service, "<x/>", "application/xml");
        xml.Status.Should().Be(415);
        RawApi.Error(xml.Body)["code"]!.GetValue<string>().Should().Be("PGRST107");

        var put = await RawApi.SendAsync(Env, HttpMethod.Put, "/rest/v1/rpc/chat_list_sessions", Service, Service, """{"p_limit":1}""");
        put.Status.Should().Be(405);
        RawApi.Error(put.Body)["code"]!.GetValue<string>().Should().Be("PGRST101");
    }

    [Fact]
    public async Task Get_runs_read_only_so_stable_functions_work_and_volatile_ones_are_405()
    {
        var user = await Env.CreateUserAsync();
        var token = Env.Server.CreateUserToken(user);
        var stable = await RawApi.SendAsync(Env, HttpMethod.Get, "/rest/v1/rpc/chat_list_sessions?p_limit=5", Env.Server.AnonKey, token, null);
        stable.Status.Should().Be(200);
        stable.Body.Should().Be("[]");

        var volatileCall = await RawApi.SendAsync(Env, HttpMethod.Get, "/rest/v1/rpc/chat_get_or_create_session?p_workflow_id=wf", Env.Server.AnonKey, token, null);
        volatileCall.Status.Should().Be(405);
        RawApi.Error(volatileCall.Body)["code"]!.GetValue<string>().Should().Be("25006");
    }

    [Fact]
    public async Task Role_and_claims_are_transaction_local_so_they_never_leak_into_the_next_request()
    {
        var user = await Env.CreateUserAsync();
        for (var i = 0; i < 5; i++)
        {
            (await RawApi.RpcAsync(Env, "chat_list_sessions", Service, new JsonObject { ["p_limit"] = 1, ["p_user_id"] = user.ToString() }, Service)).Status.Should().Be(200);
            (await RawApi.RpcAsync(Env, "chat_list_sessions", null, new JsonObject { ["p_limit"] = 1 })).Status.Should().Be(401);
        }
    }

    [Fact]
    public async Task Responses_are_cut_to_max_rows_silently_as_postgrest_does()
    {
        await using var small = await SupabaseEnvironment.StartAsync(maxRows: 2);
        var user = await small.CreateUserAsync();
        var token = small.Server.CreateUserToken(user);
        for (var i = 0; i < 3; i++)
        {
            (await RawApi.RpcAsync(small, "chat_get_or_create_session", token, new JsonObject { ["p_workflow_id"] = $"wf{i}" })).Status.Should().Be(200);
        }

        var rpc = await RawApi.RpcAsync(small, "chat_list_sessions", token, new JsonObject { ["p_limit"] = 10 });
        rpc.Status.Should().Be(200);
        JsonNode.Parse(rpc.Body)!.AsArray().Should().HaveCount(2);

        var table = await RawApi.SendAsync(small, HttpMethod.Get, "/rest/v1/chat_sessions?select=id", small.Server.AnonKey, token, null);
        table.Status.Should().Be(200);
        JsonNode.Parse(table.Body)!.AsArray().Should().HaveCount(2);
        table.Response.Content.Headers.GetValues("Content-Range").Single().Should().Be("0-1/*");
    }

    [Fact]
    public async Task Table_endpoints_check_tables_columns_and_filters()
    {
        var user = await Env.CreateUserAsync();
        var token = Env.Server.CreateUserToken(user);
        (await RawApi.SendAsync(Env, HttpMethod.Get, "/rest/v1/no_such_table", Env.Server.AnonKey, token, null)).Status.Should().Be(404);
        var column = await RawApi.SendAsync(Env, HttpMethod.Get, "/rest/v1/chat_sessions?select=nope", Env.Server.AnonKey, token, null);
        column.Status.Should().Be(400);
        RawApi.Error(column.Body)["code"]!.GetValue<string>().Should().Be("42703");
        var filter = await RawApi.SendAsync(Env, HttpMethod.Get, "/rest/v1/chat_sessions?workflow_id=wf", Env.Server.AnonKey, token, null);
        filter.Status.Should().Be(400);
        RawApi.Error(filter.Body)["code"]!.GetValue<string>().Should().Be("PGRST100");

        await RawApi.RpcAsync(Env, "chat_get_or_create_session", token, new JsonObject { ["p_workflow_id"] = "mine" });
        var rows = await RawApi.SendAsync(Env, HttpMethod.Get, "/rest/v1/chat_sessions?select=workflow_id&workflow_id=eq.mine", Env.Server.AnonKey, token, null);
        rows.Status.Should().Be(200);
        rows.Body.Should().Be("""[{"workflow_id":"mine"}]""");
    }

    [GeneratedRegex(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?\+00:00$")]
    private static partial Regex Iso8601Utc();
}
