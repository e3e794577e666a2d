using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit;

namespace ChatPersistence.Sdk.Supabase.Tests;

/// <summary>
/// The store against Supabase as new projects run it: the headers each key kind sends, wrong keys caught at start, the
/// schema option and its errors, ambiguous overloads, lock and statement timeouts, and what a retried delete or clear
/// reports after a lost answer.
/// </summary>
public sealed class StoreAgainstTodaysSupabaseTests : IAsyncLifetime
{
    private SupabaseEnvironment _env = null!;

    public async Task InitializeAsync() => _env = await SupabaseEnvironment.StartAsync(recordRequests: true, exposedSchemas: ["public", "api"], prepare: ApiSchema.CreateEmptyAsync);

    public async Task DisposeAsync() => await _env.DisposeAsync();

    [Fact]
    public async Task Each_key_kind_sends_the_headers_supabase_documents_for_it()
    {
        var user = await _env.CreateUserAsync();
        var u = user.ToString();
        var server = _env.Server;
        var cases = new (string Name, SupabaseChatStoreOptions Options, string ApiKey, string? Authorization)[]
        {
            ("secret key: apikey only, the gateway mints the service_role token", _env.ServiceOptions(), server.SecretKey, null),
            ("legacy service_role key: the key is also the bearer", _env.ServiceOptions(legacy: true), server.ServiceRoleKey, "Bearer " + server.ServiceRoleKey),
            ("publishable key: apikey, and the user's token as bearer", _env.UserOptions(user), server.PublishableKey, null),
            ("legacy anon key: apikey, and the user's token as bearer", _env.UserOptions(user, legacy: true), server.AnonKey, null),
        };

        foreach (var (name, options, apiKey, authorization) in cases)
        {
            server.Requests.Clear();
            var store = new SupabaseChatSessionStore(_env.Http, options);
            await store.GetOrCreateSessionAsync(u, "headers");
            var request = server.Requests.Should().ContainSingle(name).Which;
            request.Headers["apikey"].Should().Be(apiKey, name);
            request.Headers["content-profile"].Should().Be("public", name);
            request.Headers["accept-profile"].Should().Be("public", name);
            if (options.Mode == SupabaseAuthMode.User)
            {
                request.Headers["authorization"].Should().StartWith("Bearer eyJ", name);
                request.Headers["authorization"].Should().NotContain("sb_", name);
            }
            else if (authorization is null)
            {
                request.Headers.Should().NotContainKey("authorization", name);
            }
            else
            {
                request.Headers["authorization"].Should().Be(authorization, name);
            }
        }
    }

    [Theory]
    [InlineData(true, "sb_secret_abc", "holds a secret (service_role) key")]
    [InlineData(false, "sb_publishable_abc", "holds a publishable (anon) key")]
    public void A_key_set_in_the_wrong_place_is_caught_before_any_request(bool userMode, string key, string reason)
    {
        var options = userMode
            ? new SupabaseChatStoreOptions { Url = _env.Server.Url, PublishableKey = key, AccessTokenProvider = (_, _) => ValueTask.FromResult("t") }
            : new SupabaseChatStoreOptions { Url = _env.Server.Url, SecretKey = key };

        options.Validate().Should().Contain(reason).And.NotContain(key);
        var act = () => new SupabaseChatSessionStore(_env.Http, options);
        act.Should().Throw<ArgumentException>().WithMessage($"*{reason}*");
    }

    [Fact]
    public void A_legacy_jwt_key_of_the_wrong_role_is_caught_too()
    {
        new SupabaseChatStoreOptions { Url = _env.Server.Url, AnonKey = _env.Server.ServiceRoleKey, AccessTokenProvider = (_, _) => ValueTask.FromResult("t") }
            .Validate().Should().Contain("secret (service_role)");
        new SupabaseChatStoreOptions { Url = _env.Server.Url, ServiceRoleKey = _env.Server.AnonKey }
            .Validate().Should().Contain("publishable (anon)");
    }

    [Fact]
    public async Task A_schema_that_is_not_exposed_names_the_exposed_schemas_setting()
    {
        var store = new SupabaseChatSessionStore(_env.Http, _env.ServiceOptions(schema: "chat"));

        var error = (await store.Invoking(s => s.GetOrCreateSessionAsync(Guid.NewGuid().ToString(), "wf")).Should().ThrowAsync<ChatPersistenceException>()).Which;

        error.ErrorCode.Should().Be("PGRST106");
        error.HttpStatusCode.Should().Be(406);
        error.IsTransient.Should().BeFalse();
        error.Message.Should().Contain("Exposed schemas").And.Contain("'chat'");
    }

    [Fact]
    public async Task An_exposed_schema_without_the_functions_says_to_apply_the_migrations_or_set_the_schema()
    {
        var store = new SupabaseChatSessionStore(_env.Http, _env.ServiceOptions(schema: "api"));

        var error = (await store.Invoking(s => s.GetOrCreateSessionAsync(Guid.NewGuid().ToString(), "wf")).Should().ThrowAsync<ChatPersistenceException>()).Which;

        error.ErrorCode.Should().Be("PGRST202");
        error.Message.Should().Contain("api.chat_get_or_create_session").And.Contain("migrations").And.Contain("Schema");
    }

    [Fact]
    public async Task An_ambiguous_overload_left_by_a_migration_is_reported_as_such()
    {
        await using var env = await SupabaseEnvironment.StartAsync(prepare: async admin =>
        {
            await using var command = admin.CreateCommand(
                "create function public.chat_delete_session(p_session_id uuid, p_user_id text default null) returns boolean language sql as $$ select false $$");
            await command.ExecuteNonQueryAsync();
        });
        var store = new SupabaseChatSessionStore(env.Http, env.ServiceOptions());

        var error = (await store.Invoking(s => s.DeleteSessionAsync(Guid.NewGuid().ToString(), Guid.NewGuid())).Should().ThrowAsync<ChatPersistenceException>()).Which;

        error.ErrorCode.Should().Be("PGRST203");
        error.HttpStatusCode.Should().Be(300);
        error.Message.Should().Contain("overloads").And.Contain("Drop");
        error.Should().NotBeOfType<ChatAccessDeniedException>();
    }

    [Fact]
    public async Task A_lock_timeout_is_transient_and_retried_until_the_lock_is_free_and_the_message_is_stored_once()
    {
        var user = await _env.CreateUserAsync();
        var u = user.ToString();
        await using var services = Registered(o => { o.PublishableKey = _env.Server.PublishableKey; o.AccessTokenProvider = (_, _) => ValueTask.FromResult(_env.Server.CreateUserToken(user)); });
        var store = services.GetRequiredService<IChatSessionStore>();
        var session = await store.GetOrCreateSessionAsync(u, "locked");
        await RoleSettingAsync("lock_timeout", "300ms");

        await using var locker = await _env.Admin.OpenConnectionAsync();
        await using var transaction = await locker.BeginTransactionAsync();
        await Lock(locker, transaction, session.Id);
        var append = store.AppendMessageAsync(u, session.Id, NewChatMessage.User("waits for the lock"));
        await Task.Delay(900);
        await transaction.RollbackAsync();

        var stored = await append;
        _env.Server.Requests.Count(r => r.Path.EndsWith("chat_append_messages", StringComparison.Ordinal)).Should().BeGreaterThan(1, "the first attempts ran into the lock timeout");
        (await _env.ScalarAsync("select count(*) from public.chat_messages where id = $1", stored.Id)).Should().Be(1);

        var plain = new SupabaseChatSessionStore(_env.Http, _env.UserOptions(user));
        await using var transaction2 = await locker.BeginTransactionAsync();
        await Lock(locker, transaction2, session.Id);
        var error = (await plain.Invoking(s => s.AppendMessageAsync(u, session.Id, NewChatMessage.User("no retries here"))).Should().ThrowAsync<ChatPersistenceException>()).Which;
        error.ErrorCode.Should().Be("55P03");
        error.IsTransient.Should().BeTrue();
    }

    [Fact]
    public async Task A_statement_timeout_is_final_and_nothing_is_written()
    {
        var user = await _env.CreateUserAsync();
        var u = user.ToString();
        var store = new SupabaseChatSessionStore(_env.Http, _env.UserOptions(user));
        var session = await store.GetOrCreateSessionAsync(u, "slow");
        await RoleSettingAsync("statement_timeout", "300ms");
        await RoleSettingAsync("lock_timeout", "0");

        await using var locker = await _env.Admin.OpenConnectionAsync();
        await using var transaction = await locker.BeginTransactionAsync();
        await Lock(locker, transaction, session.Id);
        var message = NewChatMessage.User("times out");
        var error = (await store.Invoking(s => s.AppendMessageAsync(u, session.Id, message)).Should().ThrowAsync<ChatPersistenceException>()).Which;
        await transaction.RollbackAsync();

        error.ErrorCode.Should().Be("57014");
        error.IsTransient.Should().BeFalse();
        (await _env.ScalarAsync("select count(*) from public.chat_messages where id = $1", message.Id)).Should().Be(0);
    }

    [Theory]
    [InlineData(PostgrestTesting.PostgrestFault.DropConnectionAfterCommit)]
    [InlineData(PostgrestTesting.PostgrestFault.HangAfterCommit)]
    public async Task A_retried_delete_or_clear_after_a_lost_answer_reports_what_the_retry_found_and_the_data_is_gone(PostgrestTesting.PostgrestFault fault)
    {
        var user = (await _env.CreateUserAsync()).ToString();
        await using var services = Registered(o => o.SecretKey = _env.Server.SecretKey);
        var store = services.GetRequiredService<IChatSessionStore>();
        var cleared = await store.GetOrCreateSessionAsync(user, "clear-" + fault);
        await store.AppendMessagesAsync(user, cleared.Id, [NewChatMessage.User("a"), NewChatMessage.Assistant("b")]);
        var deleted = await store.GetOrCreateSessionAsync(user, "delete-" + fault);

        _env.Server.InjectFault("chat_clear_session", fault);
        (await store.ClearSessionAsync(user, cleared.Id)).Should().Be(0, "the first attempt cleared both messages; the retry found none (docs/supabase.md)");
        (await _env.ScalarAsync("select count(*) from public.chat_messages where session_id = $1", cleared.Id)).Should().Be(0);

        _env.Server.InjectFault("chat_delete_session", fault);
        (await store.DeleteSessionAsync(user, deleted.Id)).Should().BeFalse("the first attempt deleted it; the retry found nothing to delete (docs/supabase.md)");
        (await store.GetSessionAsync(user, deleted.Id)).Should().BeNull();
        _env.Server.Executions["chat_delete_session"].Should().Be(2);
    }

    private ServiceProvider Registered(Action<SupabaseChatStoreOptions> keys)
    {
        var services = new ServiceCollection();
        services.AddChatPersistence().UseSupabase(o =>
        {
            o.Url = _env.Server.Url;
            o.RetryDelay = TimeSpan.FromMilliseconds(100);
            o.AttemptTimeout = TimeSpan.FromSeconds(2);
            o.MaxRetryAttempts = 5;
            keys(o);
        });
        return services.BuildServiceProvider();
    }

    // Supabase's per-role settings, narrowed to this test's database so that no other test sees them; the server reads
    // role settings with its schema cache, as PostgREST does, so it reloads.
    private async Task RoleSettingAsync(string name, string value)
    {
        await _env.ExecuteAsync($"alter role authenticated in database {_env.Database} set {name} = '{value}'");
        await _env.Server.ReloadSchemaCacheAsync();
    }

    private static async Task Lock(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid session)
    {
        await using var command = new NpgsqlCommand("select 1 from public.chat_sessions where id = $1 for update", connection, transaction);
        command.Parameters.AddWithValue(session);
        await command.ExecuteScalarAsync();
    }
}
