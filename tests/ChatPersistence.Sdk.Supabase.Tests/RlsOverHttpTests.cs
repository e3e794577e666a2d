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
    public async Task B_and_anon_cannot_grow_finish_stop_or_read_As_reply_over_http()
    {
        var a = await Env.CreateUserAsync();
        var aUser = a.ToString();
        var store = new SupabaseChatSessionStore(Env.Http, Env.UserOptions(a));
        var session = await store.GetOrCreateSessionAsync(aUser, "private-workflow", "A's chat");
        var reply = await store.BeginReplyAsync(aUser, session.Id, new NewChatReply());
        await store.GrowReplyAsync(aUser, reply.Id, 0, "a secret draft");
        var b = Env.Server.CreateUserToken(await Env.CreateUserAsync());
        var grow = new JsonObject
        {
            ["p_message_id"] = reply.Id.ToString(), ["p_offset"] = 14, ["p_text"] = " of B", ["p_length"] = 5, ["p_utf8_bytes"] = 5, ["p_max_bytes"] = 1000,
        };
        var finish = new JsonObject
        {
            ["p_message_id"] = reply.Id.ToString(), ["p_offset"] = 0, ["p_text"] = "", ["p_length"] = 0, ["p_utf8_bytes"] = 0, ["p_max_bytes"] = 1000, ["p_status"] = 0,
        };

        // B: the functions do not find A's reply (404), and acting as A is refused (403).
        (await RawApi.RpcAsync(Env, "chat_grow_reply", b, grow)).Status.Should().Be(404);
        (await RawApi.RpcAsync(Env, "chat_finish_reply", b, finish)).Status.Should().Be(404);
        (await RawApi.RpcAsync(Env, "chat_stop_reply", b, new JsonObject { ["p_message_id"] = reply.Id.ToString() })).Status.Should().Be(404);
        (await RawApi.RpcAsync(Env, "chat_read_reply", b, new JsonObject { ["p_message_id"] = reply.Id.ToString() })).Status.Should().Be(404);
        (await RawApi.RpcAsync(Env, "chat_read_reply", b, new JsonObject { ["p_message_id"] = reply.Id.ToString(), ["p_user_id"] = aUser })).Status.Should().Be(403);

        // anon: no function at all.
        foreach (var bearer in new[] { null, Env.Server.AnonKey })
        {
            (await RawApi.RpcAsync(Env, "chat_grow_reply", bearer, grow)).Status.Should().Be(401);
            (await RawApi.RpcAsync(Env, "chat_read_reply", bearer, new JsonObject { ["p_message_id"] = reply.Id.ToString() })).Status.Should().Be(401);
        }

        var mine = await store.ReadReplyAsync(aUser, reply.Id);
        mine.Text.Should().Be("a secret draft");
        mine.Status.Should().Be(ChatReplyStatus.Streaming);
        mine.Reason.Should().Be(ChatReplyReason.None, "B's stop did not reach it");
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
