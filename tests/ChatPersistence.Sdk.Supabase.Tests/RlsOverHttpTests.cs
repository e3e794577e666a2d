using System.Text.Json.Nodes;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.Supabase.Tests;

/// <summary>
/// Row Level Security over HTTP: user B's token gets nothing of user A's — through the store's functions and through the
/// table endpoints directly; anon gets nothing; expired and forged tokens are refused. A's data is checked unchanged in the
/// database after every attempt.
/// </summary>
public sealed class RlsOverHttpTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private SupabaseEnvironment Env => fixture.Environment;

    [Fact]
    public async Task B_cannot_read_search_favourite_clear_or_delete_As_data_through_the_store()
    {
        var (a, session, message) = await UserWithHistoryAsync();
        var bId = await Env.CreateUserAsync();
        var b = new SupabaseChatSessionStore(Env.Http, Env.UserOptions(bId));
        var bUser = bId.ToString();

        (await b.GetSessionAsync(bUser, session.Id)).Should().BeNull();
        await FluentActions.Awaiting(() => b.GetMessagesAsync(bUser, session.Id)).Should().ThrowAsync<ChatNotFoundException>();
        (await b.SearchAsync(bUser, new ChatSearchRequest("secret"))).Items.Should().BeEmpty();
        await FluentActions.Awaiting(() => b.SetFavoriteAsync(bUser, message.Id, true)).Should().ThrowAsync<ChatNotFoundException>();
        await FluentActions.Awaiting(() => b.ClearSessionAsync(bUser, session.Id)).Should().ThrowAsync<ChatNotFoundException>();
        (await b.DeleteSessionAsync(bUser, session.Id)).Should().BeFalse();
        await FluentActions.Awaiting(() => b.AppendMessageAsync(bUser, session.Id, NewChatMessage.User("intrusion"))).Should().ThrowAsync<ChatNotFoundException>();

        // Acting as A with B's token is refused by the database (p_user_id must equal auth.uid()).
        await FluentActions.Awaiting(() => b.GetMessagesAsync(a.ToString(), session.Id)).Should().ThrowAsync<ChatAccessDeniedException>()
            .Where(e => e.HttpStatusCode == 403 && e.ErrorCode == "42501");

        await AssertUnchangedAsync(session.Id, message.Id);
    }

    [Fact]
    public async Task B_cannot_reach_As_rows_through_the_table_endpoints()
    {
        var (_, session, message) = await UserWithHistoryAsync();
        var b = Env.Server.CreateUserToken(await Env.CreateUserAsync());
        var anonKey = Env.Server.AnonKey;

        var read = await RawApi.SendAsync(Env, HttpMethod.Get, $"/rest/v1/chat_messages?session_id=eq.{session.Id}", anonKey, b, null);
        read.Status.Should().Be(200);
        read.Body.Should().Be("[]");
        (await RawApi.SendAsync(Env, HttpMethod.Get, "/rest/v1/chat_sessions", anonKey, b, null)).Body.Should().Be("[]");

        var patch = await RawApi.SendAsync(Env, HttpMethod.Patch, $"/rest/v1/chat_messages?id=eq.{message.Id}", anonKey, b, """{"is_favorite":true}""");
        patch.Status.Should().BeOneOf(204, 401, 403);
        var rename = await RawApi.SendAsync(Env, HttpMethod.Patch, $"/rest/v1/chat_sessions?id=eq.{session.Id}", anonKey, b, """{"title":"owned"}""");
        rename.Status.Should().BeOneOf(204, 401, 403);
        var delete = await RawApi.SendAsync(Env, HttpMethod.Delete, $"/rest/v1/chat_messages?id=eq.{message.Id}", anonKey, b, null);
        delete.Status.Should().BeOneOf(204, 401, 403);
        (await RawApi.SendAsync(Env, HttpMethod.Delete, $"/rest/v1/chat_sessions?id=eq.{session.Id}", anonKey, b, null)).Status.Should().BeOneOf(204, 401, 403);

        var insert = await RawApi.SendAsync(Env, HttpMethod.Post, "/rest/v1/chat_messages", anonKey, b,
            new JsonObject { ["id"] = Guid.NewGuid().ToString(), ["session_id"] = session.Id.ToString(), ["role"] = "user", ["content"] = "planted" }.ToJsonString());
        insert.Status.Should().BeOneOf(401, 403, 409);

        await AssertUnchangedAsync(session.Id, message.Id);
    }

    [Fact]
    public async Task Anon_gets_nothing_from_functions_or_tables()
    {
        var (_, session, message) = await UserWithHistoryAsync();
        var anonKey = Env.Server.AnonKey;
        foreach (var bearer in new[] { null, anonKey })
        {
            (await RawApi.SendAsync(Env, HttpMethod.Get, "/rest/v1/chat_messages", anonKey, bearer, null)).Status.Should().Be(401);
            (await RawApi.SendAsync(Env, HttpMethod.Get, "/rest/v1/chat_sessions", anonKey, bearer, null)).Status.Should().Be(401);
            (await RawApi.RpcAsync(Env, "chat_read_messages", bearer, new JsonObject { ["p_session_id"] = session.Id.ToString(), ["p_limit"] = 10 })).Status.Should().Be(401);
            (await RawApi.RpcAsync(Env, "chat_search", bearer, new JsonObject { ["p_query"] = "secret", ["p_limit"] = 10 })).Status.Should().Be(401);
            (await RawApi.SendAsync(Env, HttpMethod.Delete, $"/rest/v1/chat_sessions?id=eq.{session.Id}", anonKey, bearer, null)).Status.Should().Be(401);
        }

        await AssertUnchangedAsync(session.Id, message.Id);
    }

    [Fact]
    public async Task Expired_and_forged_tokens_are_refused_as_access_denied_by_the_store()
    {
        var user = await Env.CreateUserAsync();
        var expired = new SupabaseChatSessionStore(Env.Http, new SupabaseChatStoreOptions
        {
            Url = Env.Server.Url,
            AnonKey = Env.Server.AnonKey,
            AccessTokenProvider = (_, _) => ValueTask.FromResult(Env.Server.CreateUserToken(user, TimeSpan.FromMinutes(-10))),
        });
        var forged = new SupabaseChatSessionStore(Env.Http, new SupabaseChatStoreOptions
        {
            Url = Env.Server.Url,
            AnonKey = Env.Server.AnonKey,
            AccessTokenProvider = (_, _) => ValueTask.FromResult(PostgrestTesting.TestJwt.UserToken("not-the-project-secret-not-the-project-s", user, TimeSpan.FromHours(1))),
        });

        await FluentActions.Awaiting(() => expired.GetOrCreateSessionAsync(user.ToString(), "wf")).Should().ThrowAsync<ChatAccessDeniedException>()
            .Where(e => e.HttpStatusCode == 401 && e.ErrorCode == "PGRST303" && !e.IsTransient);
        await FluentActions.Awaiting(() => forged.GetOrCreateSessionAsync(user.ToString(), "wf")).Should().ThrowAsync<ChatAccessDeniedException>()
            .Where(e => e.HttpStatusCode == 401 && e.ErrorCode == "PGRST301");
        (await Env.ScalarAsync("select count(*) from public.chat_sessions where user_id = $1", user)).Should().Be(0);
    }

    private async Task<(Guid User, ChatSession Session, StoredChatMessage Message)> UserWithHistoryAsync()
    {
        var a = await Env.CreateUserAsync();
        var store = new SupabaseChatSessionStore(Env.Http, Env.UserOptions(a));
        var session = await store.GetOrCreateSessionAsync(a.ToString(), "private-workflow", "A's chat");
        var message = await store.AppendMessageAsync(a.ToString(), session.Id, NewChatMessage.User("a secret plan"));
        return (a, session, message);
    }

    private async Task AssertUnchangedAsync(Guid sessionId, Guid messageId)
    {
        (await Env.ScalarAsync("select count(*) from public.chat_sessions where id = $1 and title = 'A''s chat'", sessionId)).Should().Be(1);
        (await Env.ScalarAsync("select count(*) from public.chat_messages where session_id = $1", sessionId)).Should().Be(1);
        (await Env.ScalarAsync("select count(*) from public.chat_messages where id = $1 and content = 'a secret plan' and not is_favorite", messageId)).Should().Be(1);
    }
}
