using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.Supabase.Tests;

/// <summary>For every operation, the exact method, path, headers and JSON body the store sends.</summary>
public sealed class VerbatimRequestTests : IAsyncLifetime
{
    private SupabaseEnvironment _env = null!;

    public async Task InitializeAsync() => _env = await SupabaseEnvironment.StartAsync(recordRequests: true);

    public async Task DisposeAsync() => await _env.DisposeAsync();

    [Fact]
    public async Task Service_mode_sends_one_rpc_post_per_operation_with_exact_bodies_and_the_secret_key_as_apikey_only()
    {
        var store = new SupabaseChatSessionStore(_env.Http, _env.ServiceOptions());
        var user = await _env.CreateUserAsync();
        var u = user.ToString();
        var key = _env.Server.SecretKey;
        string? none = null;

        var session = await Expect(() => store.GetOrCreateSessionAsync(u, "wf-1", "Título"), "chat_get_or_create_session",
            $$"""{"p_workflow_id":"wf-1","p_title":"T\u00EDtulo","p_user_id":"{{u}}"}""", key, none);
        var s = session.Id;
        var id = Guid.CreateVersion7();
        var created = new DateTimeOffset(2026, 11, 25, 10, 0, 0, TimeSpan.Zero).AddTicks(1234560);
        await Expect(() => store.AppendMessagesAsync(u, s, [new NewChatMessage(ChatMessageRole.User, "Olá \"mundo\"") { Id = id, CreatedAt = created }]), "chat_append_messages",
            $$"""{"p_session_id":"{{s}}","p_messages":[{"id":"{{id}}","role":"user","content":"Ol\u00E1 \u0022mundo\u0022","metadata":{},"created_at":"2026-11-25T10:00:00.123456Z"}],"p_user_id":"{{u}}"}""", key, none);
        await Expect(() => store.GetSessionAsync(u, s), "chat_get_session", $$"""{"p_session_id":"{{s}}","p_user_id":"{{u}}"}""", key, none);
        await Expect(() => store.ListSessionsAsync(u, new ChatListRequest { PageSize = 20 }), "chat_list_sessions", $$"""{"p_limit":21,"p_user_id":"{{u}}"}""", key, none);
        await Expect(() => store.RenameSessionAsync(u, s, null), "chat_rename_session", $$"""{"p_session_id":"{{s}}","p_title":null,"p_user_id":"{{u}}"}""", key, none);
        await Expect(() => store.GetMessagesAsync(u, s, new ChatHistoryRequest { PageSize = 50 }), "chat_read_messages",
            $$"""{"p_session_id":"{{s}}","p_limit":51,"p_older":true,"p_user_id":"{{u}}"}""", key, none);
        await Expect(() => store.SearchAsync(u, new ChatSearchRequest("mundo") { PageSize = 10 }), "chat_search",
            $$"""{"p_query":"mundo","p_limit":11,"p_offset":0,"p_user_id":"{{u}}"}""", key, none);
        await Expect(() => store.SetFavoriteAsync(u, id, true), "chat_set_favorite", $$"""{"p_message_id":"{{id}}","p_is_favorite":true,"p_user_id":"{{u}}"}""", key, none);
        await Expect(() => store.ListFavoritesAsync(u, new ChatFavoritesRequest { SessionId = s, PageSize = 5 }), "chat_list_favorites",
            $$"""{"p_limit":6,"p_session_id":"{{s}}","p_user_id":"{{u}}"}""", key, none);
        await Expect(() => store.ClearSessionAsync(u, s), "chat_clear_session", $$"""{"p_session_id":"{{s}}","p_user_id":"{{u}}"}""", key, none);
        await Expect(() => store.DeleteSessionAsync(u, s), "chat_delete_session", $$"""{"p_session_id":"{{s}}","p_user_id":"{{u}}"}""", key, none);
        await Expect(() => store.DeleteIdleSessionsAsync(new DateTimeOffset(2020, 1, 2, 3, 4, 5, TimeSpan.Zero), 7), "chat_delete_idle_sessions",
            """{"p_idle_before":"2020-01-02T03:04:05.000000Z","p_max_sessions":7}""", key, none);
    }

    [Fact]
    public async Task User_mode_sends_the_anon_key_as_apikey_and_the_users_current_token_as_bearer()
    {
        var user = await _env.CreateUserAsync();
        var tokens = new Queue<string>([_env.Server.CreateUserToken(user), _env.Server.CreateUserToken(user, TimeSpan.FromHours(2))]);
        var asked = new List<string>();
        var store = new SupabaseChatSessionStore(_env.Http, new SupabaseChatStoreOptions
        {
            Url = _env.Server.Url,
            AnonKey = _env.Server.AnonKey,
            AccessTokenProvider = (id, _) => { asked.Add(id); return ValueTask.FromResult(tokens.Peek()); },
        });
        var u = user.ToString();
        var first = tokens.Peek();

        var session = await Expect(() => store.GetOrCreateSessionAsync(u, "wf"), "chat_get_or_create_session",
            $$"""{"p_workflow_id":"wf","p_title":null,"p_user_id":"{{u}}"}""", _env.Server.AnonKey, first);
        tokens.Dequeue();
        await Expect(() => store.GetSessionAsync(u, session.Id), "chat_get_session",
            $$"""{"p_session_id":"{{session.Id}}","p_user_id":"{{u}}"}""", _env.Server.AnonKey, tokens.Peek());
        asked.Should().Equal(u, u);
    }

    private async Task<T> Expect<T>(Func<Task<T>> operation, string function, string body, string apiKey, string? bearer)
    {
        _env.Server.Requests.Clear();
        var result = await operation();
        var request = _env.Server.Requests.Should().ContainSingle().Which;
        request.Method.Should().Be("POST");
        request.Path.Should().Be("/rest/v1/rpc/" + function);
        request.Query.Should().BeEmpty();
        request.Headers["apikey"].Should().Be(apiKey);
        if (bearer is null)
        {
            request.Headers.Should().NotContainKey("authorization", "an sb_ key goes in apikey alone; the gateway mints the role's token");
        }
        else
        {
            request.Headers["authorization"].Should().Be("Bearer " + bearer);
        }

        request.Headers["content-profile"].Should().Be("public");
        request.Headers["accept-profile"].Should().Be("public");
        request.Headers["content-type"].Should().Be("application/json");
        request.Headers["accept"].Should().Be("application/json");
        request.Headers["x-client-info"].Should().StartWith("chatpersistence-sdk/");
        request.Body.Should().Be(body);
        return result;
    }
}
