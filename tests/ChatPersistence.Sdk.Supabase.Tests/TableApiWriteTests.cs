using System.Text.Json.Nodes;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.Supabase.Tests;

/// <summary>
/// A signed-in user's own writes through PostgREST's table endpoints: the columns the database maintains are refused (a
/// session made immortal to retention, faked counts), a rename works, and a direct insert — the original plan's
/// saveMessage, with no id and no user_id — is an append: counted, timed, announced on the change feed.
/// </summary>
public sealed class TableApiWriteTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private SupabaseEnvironment Env => fixture.Environment;

    public static TheoryData<string> MaintainedColumns => new()
    {
        """{"updated_at":"infinity"}""",
        """{"message_count":0}""",
        """{"message_count":1000000}""",
        """{"last_message_at":"2000-01-01T00:00:00Z"}""",
        """{"created_at":"2000-01-01T00:00:00Z"}""",
        """{"title":"renamed","updated_at":"infinity"}""",
    };

    [Theory]
    [MemberData(nameof(MaintainedColumns))]
    public async Task A_user_cannot_patch_the_columns_the_database_maintains_on_their_own_session(string body)
    {
        var (user, session) = await SessionWithOneMessageAsync();
        var token = Env.Server.CreateUserToken(user);
        var before = await RowAsync(session.Id);

        var patch = await RawApi.SendAsync(Env, HttpMethod.Patch, $"/rest/v1/chat_sessions?id=eq.{session.Id}", Env.Server.AnonKey, token, body);

        patch.Status.Should().BeOneOf([401, 403], patch.Body);
        RawApi.Error(patch.Body)["code"]!.GetValue<string>().Should().Be("42501");
        (await RowAsync(session.Id)).Should().Be(before);
    }

    [Fact]
    public async Task A_user_can_rename_their_session_through_the_table_and_it_counts_as_activity()
    {
        var (user, session) = await SessionWithOneMessageAsync();
        var token = Env.Server.CreateUserToken(user);

        var patch = await RawApi.SendAsync(Env, HttpMethod.Patch, $"/rest/v1/chat_sessions?id=eq.{session.Id}", Env.Server.AnonKey, token, """{"title":"renamed"}""");

        patch.Status.Should().Be(204, patch.Body);
        var store = new SupabaseChatSessionStore(Env.Http, Env.UserOptions(user));
        var renamed = (await store.GetSessionAsync(user.ToString(), session.Id))!;
        renamed.Title.Should().Be("renamed");
        renamed.UpdatedAt.Should().BeAfter(session.UpdatedAt);
        renamed.MessageCount.Should().Be(1);
        (await Env.ScalarAsync("select count(*) from chat_private.chat_changes where session_id = $1 and kind = 4", session.Id)).Should().Be(1);
    }

    [Fact]
    public async Task The_plans_direct_insert_without_id_or_user_id_is_an_append()
    {
        var (user, session) = await SessionWithOneMessageAsync();
        var token = Env.Server.CreateUserToken(user);

        var insert = await RawApi.SendAsync(Env, HttpMethod.Post, "/rest/v1/chat_messages", Env.Server.AnonKey, token,
            new JsonObject { ["session_id"] = session.Id.ToString(), ["role"] = "assistant", ["content"] = "saved directly", ["metadata"] = new JsonObject { ["tokens"] = 3 } }.ToJsonString());

        insert.Status.Should().Be(201, insert.Body);
        var store = new SupabaseChatSessionStore(Env.Http, Env.UserOptions(user));
        var after = (await store.GetSessionAsync(user.ToString(), session.Id))!;
        after.MessageCount.Should().Be(2);
        var page = await store.GetMessagesAsync(user.ToString(), session.Id);
        var saved = page.Messages.Single(m => m.Content == "saved directly");
        saved.Id.Should().NotBeEmpty();
        after.UpdatedAt.Should().BeOnOrAfter(saved.CreatedAt);
        (await Env.ScalarAsync("select count(*) from public.chat_messages where id = $1 and user_id = $2", saved.Id, user)).Should().Be(1);
        (await Env.ScalarAsync("select count(*) from chat_private.chat_changes where session_id = $1 and kind = 1 and seq = $2", session.Id, saved.Sequence)).Should().Be(1,
            "the change feed hears of a direct insert as of an append");

        var refused = await RawApi.SendAsync(Env, HttpMethod.Post, "/rest/v1/chat_messages", Env.Server.AnonKey, token,
            new JsonObject { ["session_id"] = session.Id.ToString(), ["role"] = "narrator", ["content"] = "x" }.ToJsonString());
        refused.Status.Should().Be(400, refused.Body);
        RawApi.Error(refused.Body)["code"]!.GetValue<string>().Should().Be("23514");
        (await store.GetSessionAsync(user.ToString(), session.Id))!.MessageCount.Should().Be(2);
    }

    [Fact]
    public async Task The_table_api_cannot_forge_a_tree_and_a_direct_insert_continues_the_active_path()
    {
        var (user, session) = await SessionWithOneMessageAsync();
        var token = Env.Server.CreateUserToken(user);
        var store = new SupabaseChatSessionStore(Env.Http, Env.UserOptions(user));
        var u = user.ToString();
        var first = (await store.GetMessagesAsync(u, session.Id)).Messages.Single();
        var answer = await store.AppendMessageAsync(u, session.Id, NewChatMessage.Assistant("a1"));
        var question = await store.AppendMessageAsync(u, session.Id, NewChatMessage.User("q2"));

        // No parent through the table: the column is not the user's to write (PostgREST answers 401/403 with 42501).
        var forged = await RawApi.SendAsync(Env, HttpMethod.Post, "/rest/v1/chat_messages", Env.Server.AnonKey, token,
            new JsonObject { ["session_id"] = session.Id.ToString(), ["role"] = "user", ["content"] = "forged", ["parent_id"] = first.Id.ToString() }.ToJsonString());
        forged.Status.Should().BeOneOf([401, 403], forged.Body);
        RawApi.Error(forged.Body)["code"]!.GetValue<string>().Should().Be("42501");
        // No runs, no tree columns of the session: the runs are not in an exposed schema, the columns are the database's.
        var runs = await RawApi.SendAsync(Env, HttpMethod.Post, "/rest/v1/chat_runs", Env.Server.AnonKey, token,
            new JsonObject { ["session_id"] = session.Id.ToString(), ["start_seq"] = 1 }.ToJsonString());
        runs.Status.Should().Be(404, runs.Body);
        var leaf = await RawApi.SendAsync(Env, HttpMethod.Patch, $"/rest/v1/chat_sessions?id=eq.{session.Id}", Env.Server.AnonKey, token,
            new JsonObject { ["leaf_id"] = first.Id.ToString() }.ToJsonString());
        leaf.Status.Should().BeOneOf([401, 403], leaf.Body);
        (await Env.ScalarAsync("select count(*) from public.chat_messages where session_id = $1", session.Id)).Should().Be(3);

        // After an edit and a switch back, a direct insert continues the active path (under the old answer's branch), as an
        // append without a parent does — not under the newest message, which is on the other branch.
        var edited = await store.AppendVersionAsync(u, session.Id, question.Id, NewChatMessage.User("q2 edited"));
        await store.SwitchBranchAsync(u, session.Id, question.Id);
        var insert = await RawApi.SendAsync(Env, HttpMethod.Post, "/rest/v1/chat_messages", Env.Server.AnonKey, token,
            new JsonObject { ["session_id"] = session.Id.ToString(), ["role"] = "assistant", ["content"] = "saved directly" }.ToJsonString());
        insert.Status.Should().Be(201, insert.Body);
        var page = await store.GetMessagesAsync(u, session.Id);
        page.Messages.Select(m => m.Content).Should().Equal("first", "a1", "q2", "saved directly");
        page.Messages[^1].ParentId.Should().Be(question.Id);
        (await store.GetSessionAsync(u, session.Id))!.ActiveLeafId.Should().Be(page.Messages[^1].Id);
        (await store.GetSiblingsAsync(u, edited.Id)).Versions.Select(v => v.Id).Should().Equal(question.Id, edited.Id);
        answer.ParentId.Should().Be(first.Id);
    }

    private async Task<(Guid User, ChatSession Session)> SessionWithOneMessageAsync()
    {
        var user = await Env.CreateUserAsync();
        var store = new SupabaseChatSessionStore(Env.Http, Env.UserOptions(user));
        var session = await store.GetOrCreateSessionAsync(user.ToString(), "wf-" + Guid.NewGuid().ToString("N"));
        await store.AppendMessageAsync(user.ToString(), session.Id, NewChatMessage.User("first"));
        return (user, (await store.GetSessionAsync(user.ToString(), session.Id))!);
    }

    private async Task<string> RowAsync(Guid session)
    {
        await using var command = Env.Admin.CreateCommand("select s::text from public.chat_sessions s where s.id = $1");
        command.Parameters.AddWithValue(session);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
