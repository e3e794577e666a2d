using System.Text.Json.Nodes;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.Supabase.Tests;

/// <summary>
/// What PostgREST does inside and around the request's transaction, with raw requests: the impersonated role's own
/// settings (Supabase's timeouts) applied, the claims GUC always carrying the role, READ ONLY for STABLE functions called by
/// POST, void functions answering 204, profile headers and exposed schemas, and 501 for what the server does not emulate.
/// </summary>
public sealed class PostgrestTransactionTests : IAsyncLifetime
{
    private SupabaseEnvironment _env = null!;

    public async Task InitializeAsync() => _env = await SupabaseEnvironment.StartAsync(exposedSchemas: ["public", "api"], prepare: async admin =>
    {
        await ApiSchema.CreateEmptyAsync(admin);
        await using var command = admin.CreateCommand("""
            create function public.test_request() returns jsonb language sql stable as $$
              select jsonb_build_object('claims', current_setting('request.jwt.claims', true)::jsonb,
                                        'statement_timeout', current_setting('statement_timeout'),
                                        'lock_timeout', current_setting('lock_timeout'),
                                        'role', current_user, 'read_only', current_setting('transaction_read_only'))
            $$;
            create table public.test_log (id serial primary key, at timestamptz default now());
            create function public.test_void() returns void language sql volatile as $$ insert into public.test_log default values $$;
            -- A STABLE function that writes through a VOLATILE one (PostgreSQL refuses a direct write in a non-volatile body).
            create function public.test_write_stable() returns int language plpgsql stable as $$ begin perform public.test_void(); return 1; end $$;
            create function api.test_where() returns text language sql stable as $$ select 'api' $$;
            create function public.test_where() returns text language sql stable as $$ select 'public' $$;
            grant execute on function public.test_request(), public.test_write_stable(), public.test_void(), api.test_where(), public.test_where() to anon, authenticated, service_role;
            grant insert on public.test_log to authenticated, service_role;
            grant usage on sequence public.test_log_id_seq to authenticated, service_role;
            """);
        await command.ExecuteNonQueryAsync();
    });

    public async Task DisposeAsync() => await _env.DisposeAsync();

    [Fact]
    public async Task Each_role_runs_with_supabases_timeouts_and_the_claims_always_carry_the_role()
    {
        var user = await _env.CreateUserAsync();
        var server = _env.Server;

        var asUser = JsonNode.Parse((await RawApi.RpcAsync(_env, "test_request", server.CreateUserToken(user), [], server.PublishableKey)).Body)!;
        asUser["statement_timeout"]!.GetValue<string>().Should().Be("8s");
        asUser["lock_timeout"]!.GetValue<string>().Should().Be("8s", "authenticator's own setting, applied at login");
        asUser["role"]!.GetValue<string>().Should().Be("authenticated");
        asUser["claims"]!["sub"]!.GetValue<string>().Should().Be(user.ToString());

        var asAnon = JsonNode.Parse((await RawApi.RpcAsync(_env, "test_request", null, [], server.PublishableKey)).Body)!;
        asAnon["statement_timeout"]!.GetValue<string>().Should().Be("3s");
        asAnon["role"]!.GetValue<string>().Should().Be("anon");
        asAnon["claims"]!["role"]!.GetValue<string>().Should().Be("anon", "the gateway turned the publishable key into the anon role's token");
        asAnon["claims"]!["sub"].Should().BeNull();

        var noToken = JsonNode.Parse((await RawApi.RpcAsync(_env, "test_request", null, [], server.AnonKey)).Body)!;
        noToken["claims"]!.ToJsonString().Should().Be("""{"role":"anon"}""", "no token at all: PostgREST inserts the anon role into the claims");

        var asService = JsonNode.Parse((await RawApi.RpcAsync(_env, "test_request", null, [], server.SecretKey)).Body)!;
        asService["role"]!.GetValue<string>().Should().Be("service_role");
        asService["claims"]!["role"]!.GetValue<string>().Should().Be("service_role");
        asService["statement_timeout"]!.GetValue<string>().Should().Be("8s", "service_role has no setting of its own, so authenticator's stays");
    }

    [Fact]
    public async Task A_stable_function_called_by_post_runs_read_only_so_a_write_inside_is_405()
    {
        var user = await _env.CreateUserAsync();
        var request = JsonNode.Parse((await RawApi.RpcAsync(_env, "test_request", _env.Server.CreateUserToken(user), [], _env.Server.PublishableKey)).Body)!;
        request["read_only"]!.GetValue<string>().Should().Be("on");

        var (status, body, _) = await RawApi.RpcAsync(_env, "test_write_stable", _env.Server.CreateUserToken(user), [], _env.Server.PublishableKey);

        status.Should().Be(405);
        RawApi.Error(body)["code"]!.GetValue<string>().Should().Be("25006");
    }

    [Fact]
    public async Task A_void_function_answers_204_with_no_body()
    {
        var user = await _env.CreateUserAsync();
        var (status, body, response) = await RawApi.RpcAsync(_env, "test_void", _env.Server.CreateUserToken(user), [], _env.Server.PublishableKey);

        status.Should().Be(204);
        body.Should().BeEmpty();
        response.Content.Headers.ContentType.Should().BeNull();
    }

    [Fact]
    public async Task The_profile_header_picks_an_exposed_schema_and_any_other_is_406_PGRST106()
    {
        var token = _env.Server.CreateUserToken(await _env.CreateUserAsync());
        async Task<(int Status, string Body)> Where(string? profile)
        {
            var headers = profile is null ? null : new Dictionary<string, string> { ["Content-Profile"] = profile };
            var (status, body, _) = await RawApi.SendAsync(_env, HttpMethod.Post, "/rest/v1/rpc/test_where", _env.Server.PublishableKey, token, "{}", headers: headers);
            return (status, body);
        }

        (await Where(null)).Body.Should().Be("\"public\"", "without a profile the first exposed schema is used");
        (await Where("api")).Body.Should().Be("\"api\"");
        var refused = await Where("private");
        refused.Status.Should().Be(406);
        RawApi.Error(refused.Body)["code"]!.GetValue<string>().Should().Be("PGRST106");
        RawApi.Error(refused.Body)["hint"]!.GetValue<string>().Should().Be("Only the following schemas are exposed: public, api");

        var get = await RawApi.SendAsync(_env, HttpMethod.Get, "/rest/v1/rpc/test_where", _env.Server.PublishableKey, token, null,
            headers: new Dictionary<string, string> { ["Accept-Profile"] = "api" });
        get.Body.Should().Be("\"api\"", "GET takes Accept-Profile");
    }

    [Theory]
    [InlineData("/rest/v1/rpc/test_where", "POST", "Prefer", "count=planned")]
    [InlineData("/rest/v1/rpc/test_where", "POST", "Prefer", "tx=rollback")]
    [InlineData("/rest/v1/rpc/test_where", "POST", "Accept", "application/vnd.pgrst.object+json;nulls=stripped")]
    [InlineData("/rest/v1/rpc/test_where", "POST", "Accept", "text/csv")]
    [InlineData("/rest/v1/rpc/test_where?select=x", "POST", null, null)]
    [InlineData("/rest/v1/test_log", "POST", "Prefer", "return=headers-only")]
    [InlineData("/rest/v1/test_log", "POST", "Prefer", "missing=default")]
    [InlineData("/rest/v1/test_log?select=id:at", "POST", "Prefer", "return=representation")]
    [InlineData("/rest/v1/test_log?id=eq.1", "PUT", null, null)]
    public async Task What_the_server_does_not_emulate_answers_501(string path, string method, string? header, string? value)
    {
        var token = _env.Server.CreateUserToken(await _env.CreateUserAsync());
        var headers = header is null ? null : new Dictionary<string, string> { [header] = value! };

        var (status, body, _) = await RawApi.SendAsync(_env, new HttpMethod(method), path, _env.Server.PublishableKey, token, "{}", headers: headers);

        status.Should().Be(501, body);
        RawApi.Error(body)["code"]!.GetValue<string>().Should().Be("TEST501");
    }

    [Fact]
    public async Task An_unknown_accept_type_is_406_PGRST107()
    {
        var token = _env.Server.CreateUserToken(await _env.CreateUserAsync());
        var (status, body, _) = await RawApi.SendAsync(_env, HttpMethod.Post, "/rest/v1/rpc/test_where", _env.Server.PublishableKey, token, "{}",
            headers: new Dictionary<string, string> { ["Accept"] = "image/png" });

        status.Should().Be(406);
        RawApi.Error(body)["code"]!.GetValue<string>().Should().Be("PGRST107");
    }
}
