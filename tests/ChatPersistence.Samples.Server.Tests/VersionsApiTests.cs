using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using ChatPersistence.Sdk;
using FluentAssertions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// Versions over the socket and the HTTP API (issue 27), on the in-memory store (the reference store for branches): edit a
/// question (a new version and a new answer, ‹ 2 / 2 ›), switch back (the old answer), regenerate an answer, the `path`
/// frame every socket of the user gets, a reconnect that keeps the chosen branch, and bad input — another user's or another
/// workflow's message, an answer edited as a question, an index out of range — refused with nothing written.
/// </summary>
public sealed class VersionsApiTests : IClassFixture<ServerFactory>
{
    private readonly WebApplicationFactory<Program> _factory;

    public VersionsApiTests(ServerFactory factory) =>
        _factory = factory.WithWebHostBuilder(builder => builder.UseSetting("ChatPersistence:Store", "InMemory"));

    private IChatSessionStore Store => _factory.Services.GetRequiredService<IChatSessionStore>();

    [Fact]
    public async Task Edit_switch_and_regenerate_keep_every_version_and_every_socket_follows_the_path()
    {
        var (token, userId) = await ServerClient.TokenAsync(_factory, "versions-" + Guid.NewGuid().ToString("N")[..8]);
        using var http = ServerClient.Http(_factory, token);
        using var asking = await ServerClient.ConnectAsync(_factory, token, "versions");
        await ServerClient.ReceiveAsync(asking, "history");
        var (q1, a1) = await AskAsync(asking, "First question");
        var (q2, a2) = await AskAsync(asking, "Second question");
        using var other = await ServerClient.ConnectAsync(_factory, token, "versions");
        await ServerClient.ReceiveAsync(other, "history");

        // Edit the second question: a new version under the same parent, saved, answered; both sockets get the new path.
        var edited = Guid.NewGuid();
        await ServerClient.SendAsync(asking, new { type = "edit", id = edited, content = "Second question, better", versionOf = q2 });
        var saved = await ServerClient.ReceiveAsync(asking, "saved");
        saved["id"]!.GetValue<Guid>().Should().Be(edited);
        saved["parentId"]!.GetValue<Guid>().Should().Be(a1);
        var answer = await WaitForAsync(asking, f => Type(f) == "assistant.end" && f["message"]!["parentId"]?.GetValue<Guid>() == edited);
        var newAnswer = answer["message"]!["id"]!.GetValue<Guid>();
        answer["message"]!["status"]!.GetValue<string>().Should().Be("complete");
        var followed = await WaitForAsync(other, f => Type(f) == "path" && Ids(f).Contains(edited));
        Siblings(followed).Should().ContainEquivalentOf(new { id = edited, index = 1, count = 2 });

        var page = await PageAsync(http);
        Ids(page).Should().Equal(q1, a1, edited, newAnswer);
        Siblings(page).Should().BeEquivalentTo([new { id = edited, index = 1, count = 2 }]);
        page["messages"]![2]!["parentId"]!.GetValue<Guid>().Should().Be(a1);

        var versions = await http.GetFromJsonAsync<JsonObject>($"/api/messages/{q2}/versions");
        versions!["index"]!.GetValue<int>().Should().Be(0);
        versions["activeIndex"]!.GetValue<int>().Should().Be(1);
        versions["versions"]!.AsArray().Select(v => v!["id"]!.GetValue<Guid>()).Should().Equal(q2, edited);

        // ‹ back to 1 / 2 over HTTP: the old question with its old answer; the sockets follow.
        var switched = await http.PostAsJsonAsync("/api/workflows/versions/switch", new { messageId = edited, index = 0 });
        switched.StatusCode.Should().Be(HttpStatusCode.OK);
        var path = (await switched.Content.ReadFromJsonAsync<JsonObject>())!;
        path["leafId"]!.GetValue<Guid>().Should().Be(a2);
        path["changed"]!.GetValue<bool>().Should().BeTrue();
        path["forkSequence"]!.GetValue<long>().Should().Be(page["messages"]![1]!["sequence"]!.GetValue<long>());
        var back = await WaitForAsync(other, f => Type(f) == "path" && f["leafId"]!.GetValue<Guid>() == a2);
        Ids(back).Should().Equal(q1, a1, q2, a2);
        Ids(await PageAsync(http)).Should().Equal(q1, a1, q2, a2);

        // Regenerate the old answer: a new assistant version under q2, streamed; ‹ 2 / 2 › on it.
        var regenerated = Guid.NewGuid();
        await ServerClient.SendAsync(asking, new { type = "regenerate", id = regenerated, questionId = q2 });
        var start = await WaitForAsync(asking, f => Type(f) == "assistant.start" && f["message"]!["id"]!.GetValue<Guid>() == regenerated);
        start["message"]!["parentId"]!.GetValue<Guid>().Should().Be(q2);
        await WaitForAsync(asking, f => Type(f) == "assistant.end" && f["message"]!["id"]!.GetValue<Guid>() == regenerated);
        page = await PageAsync(http);
        Ids(page).Should().Equal(q1, a1, q2, regenerated);
        Siblings(page).Should().BeEquivalentTo([new { id = q2, index = 0, count = 2 }, new { id = regenerated, index = 1, count = 2 }]);

        // Switch over the socket (‹ on the regenerated answer): back to the first answer.
        await ServerClient.SendAsync(asking, new { type = "switch", messageId = regenerated, index = 0 });
        await WaitForAsync(asking, f => Type(f) == "path" && f["leafId"]!.GetValue<Guid>() == a2);
        await WaitForAsync(other, f => Type(f) == "path" && f["leafId"]!.GetValue<Guid>() == a2);

        // A reconnect (a reload) shows the chosen branch: the store keeps the active leaf.
        using var reloaded = await ServerClient.ConnectAsync(_factory, token, "versions");
        var history = await ServerClient.ReceiveAsync(reloaded, "history");
        Ids(history).Should().Equal(q1, a1, q2, a2);
        Siblings(history).Should().BeEquivalentTo([new { id = q2, index = 0, count = 2 }, new { id = a2, index = 0, count = 2 }]);
        (await Store.GetSessionAsync(userId.ToString(), page["sessionId"]!.GetValue<Guid>()))!.ActiveLeafId.Should().Be(a2);
    }

    [Fact]
    public async Task A_message_sent_under_the_answer_a_tab_still_shows_goes_there_and_becomes_the_active_path()
    {
        var (token, _) = await ServerClient.TokenAsync(_factory, "parent-" + Guid.NewGuid().ToString("N")[..8]);
        using var http = ServerClient.Http(_factory, token);
        using var socket = await ServerClient.ConnectAsync(_factory, token, "parents");
        (await ServerClient.ReceiveAsync(socket, "history"))["branches"]!.GetValue<bool>().Should().BeTrue();
        var (q1, a1) = await AskAsync(socket, "One");
        var (q2, _) = await AskAsync(socket, "Two");

        // A tab that still shows a1 as its last answer (another tab went on with q2) sends under it: a second version of q2's place.
        var late = Guid.NewGuid();
        await ServerClient.SendAsync(socket, new { type = "send", id = late, content = "Written on the stale tab", parentId = a1 });
        var answer = await WaitForAsync(socket, f => Type(f) == "assistant.end" && f["message"]!["parentId"]?.GetValue<Guid>() == late);
        var page = await PageAsync(http, "parents");
        Ids(page).Should().Equal(q1, a1, late, answer["message"]!["id"]!.GetValue<Guid>());
        Siblings(page).Should().BeEquivalentTo([new { id = late, index = 1, count = 2 }]);
        ((await http.GetFromJsonAsync<JsonObject>($"/api/messages/{q2}/versions"))!["versions"]!.AsArray()).Should().HaveCount(2);

        await ExpectRefusedAsync(socket, new { type = "send", id = Guid.NewGuid(), content = "x", parentId = "not-a-uuid" }, "invalid");
        Ids(await PageAsync(http, "parents")).Should().HaveCount(4);
    }

    [Fact]
    public async Task Another_users_or_another_workflows_message_is_not_found_and_bad_versions_are_refused_with_nothing_written()
    {
        var (token, userId) = await ServerClient.TokenAsync(_factory, "owner-" + Guid.NewGuid().ToString("N")[..8]);
        var (strangerToken, _) = await ServerClient.TokenAsync(_factory, "stranger-" + Guid.NewGuid().ToString("N")[..8]);
        using var http = ServerClient.Http(_factory, token);
        using var stranger = ServerClient.Http(_factory, strangerToken);
        using var socket = await ServerClient.ConnectAsync(_factory, token, "guarded");
        await ServerClient.ReceiveAsync(socket, "history");
        var (question, answer) = await AskAsync(socket, "Mine");
        using var elsewhere = await ServerClient.ConnectAsync(_factory, token, "elsewhere");
        await ServerClient.ReceiveAsync(elsewhere, "history");
        var (otherWorkflowQuestion, _) = await AskAsync(elsewhere, "In another workflow");
        using var strangerSocket = await ServerClient.ConnectAsync(_factory, strangerToken, "guarded");
        await ServerClient.ReceiveAsync(strangerSocket, "history");
        var (strangerQuestion, _) = await AskAsync(strangerSocket, "The stranger's");
        var sessionId = (await PageAsync(http, "guarded"))["sessionId"]!.GetValue<Guid>();
        var before = await Store.GetSessionAsync(userId.ToString(), sessionId);

        // HTTP: another user's message (versions, switch), another workflow's message, missing and bad input.
        (await stranger.GetAsync($"/api/messages/{question}/versions")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await stranger.PostAsJsonAsync("/api/workflows/guarded/switch", new { messageId = question })).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await http.PostAsJsonAsync("/api/workflows/guarded/switch", new { messageId = strangerQuestion })).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await http.PostAsJsonAsync("/api/workflows/guarded/switch", new { messageId = otherWorkflowQuestion })).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await http.PostAsJsonAsync("/api/workflows/no-such-workflow/switch", new { messageId = question })).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await http.PostAsJsonAsync("/api/workflows/guarded/switch", new { messageId = question, index = 5 })).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await http.PostAsJsonAsync("/api/workflows/guarded/switch", new { index = 0 })).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await http.GetAsync($"/api/messages/{Guid.NewGuid()}/versions")).StatusCode.Should().Be(HttpStatusCode.NotFound);

        // Socket: the same, as error frames; the socket stays open.
        await ExpectRefusedAsync(socket, new { type = "edit", id = Guid.NewGuid(), content = "x", versionOf = strangerQuestion }, "not_found");
        await ExpectRefusedAsync(socket, new { type = "edit", id = Guid.NewGuid(), content = "x", versionOf = otherWorkflowQuestion }, "not_found");
        await ExpectRefusedAsync(socket, new { type = "edit", id = Guid.NewGuid(), content = "an answer is not a question", versionOf = answer }, "invalid");
        await ExpectRefusedAsync(socket, new { type = "edit", id = Guid.NewGuid(), content = "x" }, "invalid");
        await ExpectRefusedAsync(socket, new { type = "regenerate", id = Guid.NewGuid(), questionId = strangerQuestion }, "not_found");
        await ExpectRefusedAsync(socket, new { type = "send", id = Guid.NewGuid(), content = "x", parentId = strangerQuestion }, "not_found");
        await ExpectRefusedAsync(socket, new { type = "send", id = Guid.NewGuid(), content = "x", parentId = otherWorkflowQuestion }, "not_found");
        await ExpectRefusedAsync(socket, new { type = "regenerate", id = Guid.NewGuid(), questionId = answer }, "invalid");
        await ExpectRefusedAsync(socket, new { type = "switch", messageId = strangerQuestion }, "not_found");
        await ExpectRefusedAsync(socket, new { type = "switch", messageId = question, index = -1 }, "invalid");
        await ServerClient.SendAsync(socket, new { type = "ping" });
        await ServerClient.ReceiveAsync(socket, "pong");

        // Nothing was written: the same messages, the same (linear) path.
        var after = await Store.GetSessionAsync(userId.ToString(), sessionId);
        after!.MessageCount.Should().Be(before!.MessageCount);
        after.ActiveLeafId.Should().Be(before.ActiveLeafId);
        Ids(await PageAsync(http, "guarded")).Should().Equal(question, answer);
    }

    private static async Task ExpectRefusedAsync(WebSocket socket, object frame, string code)
    {
        await ServerClient.SendAsync(socket, frame);
        var error = await ServerClient.ReceiveAsync(socket, "error");
        error["code"]!.GetValue<string>().Should().Be(code, System.Text.Json.JsonSerializer.Serialize(frame));
    }

    // Sends a question and waits for its answer to end: (question id, answer id).
    private static async Task<(Guid Question, Guid Answer)> AskAsync(WebSocket socket, string text)
    {
        var id = Guid.NewGuid();
        await ServerClient.SendAsync(socket, new { type = "send", id, content = text });
        var end = await WaitForAsync(socket, f => Type(f) == "assistant.end" && f["message"]!["parentId"]?.GetValue<Guid>() == id);
        return (id, end["message"]!["id"]!.GetValue<Guid>());
    }

    private async Task<JsonObject> PageAsync(HttpClient http, string workflow = "versions") =>
        (await http.GetFromJsonAsync<JsonObject>($"/api/workflows/{workflow}/messages?limit=50"))!;

    private static async Task<JsonObject> WaitForAsync(WebSocket socket, Func<JsonObject, bool> match)
    {
        while (true)
        {
            var frame = await ServerClient.ReceiveAsync(socket);
            if (match(frame))
            {
                return frame;
            }
        }
    }

    private static string Type(JsonObject frame) => frame["type"]!.GetValue<string>();

    private static List<Guid> Ids(JsonObject frame) => [.. frame["messages"]!.AsArray().Select(m => m!["id"]!.GetValue<Guid>())];

    private static List<object> Siblings(JsonObject frame) =>
        [.. frame["siblings"]!.AsArray().Select(s => (object)new { id = s!["id"]!.GetValue<Guid>(), index = s["index"]!.GetValue<int>(), count = s["count"]!.GetValue<int>() })];
}
