using System.Text.Json.Nodes;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace ChatPersistence.Sdk.Supabase.Tests;

/// <summary>
/// The original plan's own Supabase calls, run through the real supabase-js (npm <c>@supabase/supabase-js</c>, pinned in
/// supabase-js/package-lock.json) against the PostgREST test server over the real migration, under Row Level Security with
/// two signed-in users (issue 25, point 4): get or create the session (the plan's upsert without a conflict target, the
/// same with <c>onConflict: 'user_id,workflow_id'</c>, and the function the docs recommend), save a message without id or
/// user id, and load the history ordered by time, limited to 50. supabase-js/plan-calls.mjs makes the calls.
/// </summary>
public sealed class SupabaseJsPlanCallsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private SupabaseEnvironment _env = null!;

    // The migration gives chat_messages' id and user_id their defaults and grants exactly the columns a signed-in user may
    // write (issue 25 points 1 and 2); the calls run against it as it ships.
    public async Task InitializeAsync() => _env = await SupabaseEnvironment.StartAsync();

    public async Task DisposeAsync() => await _env.DisposeAsync();

    [Fact]
    public async Task The_plans_get_or_create_save_and_history_calls_answer_as_postgrest_does_under_rls()
    {
        var userA = await _env.CreateUserAsync();
        var userB = await _env.CreateUserAsync();
        var clientMessageId = Guid.NewGuid();
        var server = _env.Server;
        var json = await SupabaseJs.RunAsync("plan-calls.mjs", new Dictionary<string, string>
        {
            ["SUPABASE_URL"] = server.Url.ToString().TrimEnd('/'),
            ["PUBLISHABLE_KEY"] = server.PublishableKey,
            ["SECRET_KEY"] = server.SecretKey,
            ["TOKEN_A"] = server.CreateUserToken(userA),
            ["TOKEN_B"] = server.CreateUserToken(userB),
            ["USER_A"] = userA.ToString(),
            ["USER_B"] = userB.ToString(),
            ["WORKFLOW"] = "wf-plan",
            ["CLIENT_MESSAGE_ID"] = clientMessageId.ToString(),
        }, TimeSpan.FromMinutes(5));
        var result = JsonNode.Parse(json)!.AsObject();
        foreach (var (name, answer) in result)
        {
            output.WriteLine($"{name}: {answer!.ToJsonString()}");
        }

        JsonObject Step(string name) => result[name]!.AsObject();
        int Status(string name) => Step(name)["status"]!.GetValue<int>();
        string? Code(string name) => Step(name)["error"]?["code"]?.GetValue<string>();
        string? Id(string name) => Step(name)["data"]?["id"]?.GetValue<string>();

        // 1. Get or create. PostgREST turns the plan's upsert into INSERT … ON CONFLICT (id) DO UPDATE SET user_id = …,
        // workflow_id = …, updated_at = … (no on_conflict: the primary key is the target; every payload column is set).
        // updated_at is the database's (a signed-in user may neither insert nor update it), so PostgreSQL refuses the
        // statement before it runs — the first call as much as the second, with or without the conflict target.
        foreach (var name in new[] { "planUpsertUser1", "planUpsertUser2", "targetUpsertUser1" })
        {
            Status(name).Should().Be(403, name);
            Code(name).Should().Be("42501", name);
            Step(name)["error"]!["message"]!.GetValue<string>().Should().Be("permission denied for table chat_sessions");
        }

        // What PostgREST itself does with the plan's call, seen with the service role (which may update every column): the
        // payload has no id, the new id never conflicts, and the second call breaks the unique (user_id, workflow_id).
        Status("planUpsertService1").Should().Be(201);
        var serviceSession = Id("planUpsertService1");
        serviceSession.Should().NotBeNull();
        Status("planUpsertService2").Should().Be(409);
        Code("planUpsertService2").Should().Be("23505");
        Step("planUpsertService2")["error"]!["message"]!.GetValue<string>().Should().Be("duplicate key value violates unique constraint \"chat_sessions_user_workflow_key\"");
        Step("planUpsertService2")["error"]!["details"]!.GetValue<string>().Should().StartWith("Key (user_id, workflow_id)=(");
        // With the conflict target the call is right: 200 (an update) and the same session every time.
        foreach (var name in new[] { "targetUpsertService1", "targetUpsertService2" })
        {
            Status(name).Should().Be(200, name);
            Id(name).Should().Be(serviceSession, name);
        }

        // The corrected call: no updated_at, and the conflict target named — 201 the first time, then 200 with the same id.
        Status("correctedUpsertUser1").Should().Be(201, Step("correctedUpsertUser1").ToJsonString());
        var corrected = Id("correctedUpsertUser1");
        corrected.Should().NotBeNull();
        Status("correctedUpsertUser2").Should().Be(200, Step("correctedUpsertUser2").ToJsonString());
        Id("correctedUpsertUser2").Should().Be(corrected);

        // ignoreDuplicates needs no UPDATE privilege but answers the row only when it inserted it (null the second time).
        Status("ignoreUpsertUser1").Should().Be(201);
        Id("ignoreUpsertUser1").Should().NotBeNull();
        Status("ignoreUpsertUser2").Should().Be(201);
        Step("ignoreUpsertUser2")["data"].Should().BeNull();

        // The recommended call: chat_get_or_create_session, one round trip, the same session for every caller.
        Status("rpcGetOrCreate1").Should().Be(200);
        var session = Id("rpcGetOrCreate1");
        session.Should().Be(corrected, "the function and the corrected upsert find the same (user, workflow) session");
        Id("rpcGetOrCreate2").Should().Be(session);
        Step("rpcGetOrCreate1")["data"]!["user_id"]!.GetValue<string>().Should().Be(userA.ToString());

        // 2. Save without id or user_id: both come from the column defaults (a new UUID, the signed-in user).
        Status("saveUser").Should().Be(201, Step("saveUser").ToJsonString());
        Status("saveAssistant").Should().Be(201, Step("saveAssistant").ToJsonString());
        Step("saveAssistant")["data"]!["user_id"]!.GetValue<string>().Should().Be(userA.ToString());
        var assistantId = Id("saveAssistant");
        // A client id makes a retry harmless: the second insert is ignored, not duplicated.
        Status("saveWithClientId1").Should().Be(201);
        Status("saveWithClientId2").Should().Be(201);

        // 3. History: the user's messages, oldest first.
        Status("historyUser").Should().Be(200);
        var history = Step("historyUser")["data"]!.AsArray();
        history.Select(m => m!["role"]!.GetValue<string>()).Should().Equal("user", "assistant", "user");
        history[0]!["content"]!.GetValue<string>().Should().Be("Olá! Quanto custa? 👋");
        history[0]!["metadata"]!["source"]!.GetValue<string>().Should().Be("plan");
        history[1]!["id"]!.GetValue<string>().Should().Be(assistantId);
        history[2]!["id"]!.GetValue<string>().Should().Be(clientMessageId.ToString());
        history.Should().OnlyContain(m => m!["session_id"]!.GetValue<string>() == session && m["user_id"]!.GetValue<string>() == userA.ToString());
        Step("countUser")["count"]!.GetValue<int>().Should().Be(3);
        // Newest first by seq, then the page before it by keyset.
        Step("historyNewest")["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()).Should().Equal(clientMessageId.ToString(), assistantId);
        Step("historyOlder")["data"]!.AsArray().Select(m => m!["id"]!.GetValue<string>()).Should().Equal(history[0]!["id"]!.GetValue<string>());

        // User B sees none of it and cannot write into it.
        Status("historyOtherUser").Should().Be(200);
        Step("historyOtherUser")["data"]!.AsArray().Should().BeEmpty();
        Status("saveOtherUser").Should().Be(409, "user_id defaults to B, and (A's session, B) is no session of B's");
        Code("saveOtherUser").Should().Be("23503");
        Status("upsertOtherUser").Should().Be(403);
        Code("upsertOtherUser").Should().Be("42501");
        (await _env.ScalarAsync("select count(*) from public.chat_messages where session_id = $1", Guid.Parse(session!))).Should().Be(3);
    }
}
