using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using ChatPersistence.Sdk;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>The chat server through WebApplicationFactory with a real WebSocket client and a real SQLite file.</summary>
public sealed class ServerTests : IClassFixture<ServerFactory>
{
    private readonly ServerFactory _factory;

    public ServerTests(ServerFactory factory) => _factory = factory;

    [Fact]
    public async Task Requests_and_sockets_without_a_valid_token_are_refused()
    {
        using var anonymous = _factory.CreateClient();
        (await anonymous.GetAsync("/api/sessions")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        using var forged = ServerClient.Http(_factory, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl");
        (await forged.GetAsync("/api/sessions")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        var socket = () => ServerClient.ConnectAsync(_factory, "not-a-token", "wf");
        await socket.Should().ThrowAsync<InvalidOperationException>().WithMessage("*401*");
    }

    [Fact]
    public async Task A_message_is_acknowledged_after_it_is_stored_and_the_streamed_reply_is_persisted_with_metadata()
    {
        var (token, user) = await ServerClient.TokenAsync(_factory, "round-trip");
        using var socket = await ServerClient.ConnectAsync(_factory, token, "wf-round");
        var history = await ServerClient.ReceiveAsync(socket, "history");
        history["messages"]!.AsArray().Should().BeEmpty();

        var id = Guid.NewGuid();
        await ServerClient.SendAsync(socket, new { type = "send", id, content = "Olá, <b>servidor</b>!" });
        var saved = await ServerClient.ReceiveAsync(socket, "saved");
        var sessionId = (await _factory.Store.ListSessionsAsync(user.ToString())).Items.Single(s => s.WorkflowId == "wf-round").Id;

        saved["id"]!.GetValue<Guid>().Should().Be(id);
        var stored = await _factory.Store.GetMessagesAsync(user.ToString(), sessionId);
        stored.Messages.Should().ContainSingle(m => m.Id == id && m.Content == "Olá, <b>servidor</b>!", "the acknowledgement comes after the commit");
        saved["sequence"]!.GetValue<long>().Should().Be(stored.Messages[0].Sequence);

        var deltas = new List<string>();
        JsonObject frame;
        while ((frame = await ServerClient.ReceiveAsync(socket))["type"]!.GetValue<string>() != "assistant.end")
        {
            if (frame["type"]!.GetValue<string>() == "assistant.delta")
            {
                deltas.Add(frame["text"]!.GetValue<string>());
            }
        }

        deltas.Count.Should().BeGreaterThan(3, "the reply streams word by word");
        var reply = frame["message"]!.AsObject();
        reply["content"]!.GetValue<string>().Should().Be(string.Concat(deltas));
        reply["metadata"]!["model"]!.GetValue<string>().Should().Be("offline-streaming-assistant");
        reply["metadata"]!["usage"]!["output"]!.GetValue<long>().Should().BeGreaterThan(0);
        (await _factory.Store.GetMessagesAsync(user.ToString(), sessionId)).Messages.Select(m => m.Role).Should().Equal(ChatMessageRole.User, ChatMessageRole.Assistant);
    }

    [Fact]
    public async Task A_resent_message_is_stored_once_and_answered_once()
    {
        var (token, user) = await ServerClient.TokenAsync(_factory, "retry");
        using var socket = await ServerClient.ConnectAsync(_factory, token, "wf-retry");
        await ServerClient.ReceiveAsync(socket, "history");
        var id = Guid.NewGuid();

        await ServerClient.SendAsync(socket, new { type = "send", id, content = "only once" });
        var first = await ServerClient.ReceiveAsync(socket, "saved");
        var sessionId = (await _factory.Store.ListSessionsAsync(user.ToString())).Items.Single(s => s.WorkflowId == "wf-retry").Id;
        await ServerClient.ReceiveAsync(socket, "assistant.end");
        await ServerClient.SendAsync(socket, new { type = "send", id, content = "only once" });
        var second = await ServerClient.ReceiveAsync(socket, "saved");
        await ServerClient.ReceiveAsync(socket, "assistant.end");

        second["sequence"]!.GetValue<long>().Should().Be(first["sequence"]!.GetValue<long>());
        (await _factory.Store.GetMessagesAsync(user.ToString(), sessionId)).Messages.Should().HaveCount(2);
    }

    [Fact]
    public async Task Oversized_frames_and_malformed_json_get_an_error_frame_and_the_socket_survives()
    {
        var (token, _) = await ServerClient.TokenAsync(_factory, "frames");
        using var socket = await ServerClient.ConnectAsync(_factory, token, "wf-frames");
        await ServerClient.ReceiveAsync(socket, "history");

        await ServerClient.SendTextAsync(socket, "{\"type\":\"send\",\"content\":\"" + new string('x', 10_000) + "\"}");
        (await ServerClient.ReceiveAsync(socket, "error"))["code"]!.GetValue<string>().Should().Be("too_large");
        await ServerClient.SendTextAsync(socket, "{not json");
        (await ServerClient.ReceiveAsync(socket, "error"))["code"]!.GetValue<string>().Should().Be("bad_json");
        await ServerClient.SendAsync(socket, new { type = "send", content = "no id" });
        (await ServerClient.ReceiveAsync(socket, "error"))["code"]!.GetValue<string>().Should().Be("invalid");

        await ServerClient.SendAsync(socket, new { type = "ping" });
        (await ServerClient.ReceiveAsync(socket))["type"]!.GetValue<string>().Should().Be("pong");
        socket.State.Should().Be(WebSocketState.Open);
    }

    [Fact]
    public async Task The_history_api_pages_back_with_the_cursor()
    {
        var (token, user) = await ServerClient.TokenAsync(_factory, "paging");
        var session = await _factory.Store.GetOrCreateSessionAsync(user.ToString(), "wf-paging", "wf-paging");
        await _factory.Store.AppendMessagesAsync(user.ToString(), session.Id, Enumerable.Range(0, 100).Select(i => NewChatMessage.User($"m{i}")).ToList());
        await _factory.Store.AppendMessagesAsync(user.ToString(), session.Id, Enumerable.Range(100, 20).Select(i => NewChatMessage.User($"m{i}")).ToList());
        using var http = ServerClient.Http(_factory, token);

        var contents = new List<string>();
        string? before = null;
        do
        {
            var page = (await http.GetFromJsonAsync<JsonObject>($"/api/workflows/wf-paging/messages?limit=50{(before is null ? "" : "&before=" + Uri.EscapeDataString(before))}"))!;
            contents.InsertRange(0, page["messages"]!.AsArray().Select(m => m!["content"]!.GetValue<string>()));
            before = page["hasOlder"]!.GetValue<bool>() ? page["olderCursor"]!.GetValue<string>() : null;
        }
        while (before is not null);

        contents.Should().Equal(Enumerable.Range(0, 120).Select(i => $"m{i}"));
    }

    [Fact]
    public async Task One_user_cannot_read_or_change_another_users_workflow()
    {
        var (_, alice) = await ServerClient.TokenAsync(_factory, "alice");
        var (bobToken, _) = await ServerClient.TokenAsync(_factory, "bob");
        var session = await _factory.Store.GetOrCreateSessionAsync(alice.ToString(), "shared-name", "shared-name");
        var secret = await _factory.Store.AppendMessageAsync(alice.ToString(), session.Id, NewChatMessage.User("alice's secret"));
        using var bob = ServerClient.Http(_factory, bobToken);

        var page = (await bob.GetFromJsonAsync<JsonObject>("/api/workflows/shared-name/messages"))!;
        page["messages"]!.AsArray().Should().BeEmpty("the same workflow name is a different session for another user");
        (await bob.PutAsync($"/api/messages/{secret.Id}/favorite", null)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        var search = (await bob.GetFromJsonAsync<JsonObject>("/api/search?q=secret"))!;
        search["items"]!.AsArray().Should().BeEmpty();
        (await _factory.Store.GetMessagesAsync(alice.ToString(), session.Id)).Messages.Should().ContainSingle(m => !m.IsFavorite);
    }

    [Fact]
    public async Task Errors_are_problem_details_and_the_api_is_described_by_openapi()
    {
        var (token, _) = await ServerClient.TokenAsync(_factory, "problems");
        using var http = ServerClient.Http(_factory, token);

        var bad = await http.GetAsync("/api/workflows/wf/messages?limit=0");
        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        bad.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await bad.Content.ReadFromJsonAsync<JsonObject>())!["status"]!.GetValue<int>().Should().Be(400);
        (await http.PutAsync($"/api/messages/{Guid.NewGuid()}/favorite", null)).Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");

        var openApi = await http.GetStringAsync("/openapi/v1.json");
        openApi.Should().Contain("/api/workflows/{workflowId}/messages").And.Contain("/api/search").And.Contain("/api/favorites");
    }

    [Fact]
    public async Task Favourites_search_export_and_clear_work_over_http()
    {
        var (token, user) = await ServerClient.TokenAsync(_factory, "features");
        var session = await _factory.Store.GetOrCreateSessionAsync(user.ToString(), "wf-features", "wf-features");
        var message = await _factory.Store.AppendMessageAsync(user.ToString(), session.Id, NewChatMessage.User("A informação da ação"));
        using var http = ServerClient.Http(_factory, token);

        (await http.PutAsync($"/api/messages/{message.Id}/favorite", null)).EnsureSuccessStatusCode();
        (await http.GetFromJsonAsync<JsonObject>("/api/favorites"))!["items"]!.AsArray().Should().ContainSingle();
        var hit = (await http.GetFromJsonAsync<JsonObject>("/api/search?q=acao&workflowId=wf-features"))!["items"]![0]!;
        hit["highlights"]!.AsArray().Should().NotBeEmpty();
        var pdf = await http.GetAsync("/api/workflows/wf-features/export/pdf");
        pdf.Content.Headers.ContentType!.MediaType.Should().Be("application/pdf");
        (await pdf.Content.ReadAsByteArrayAsync()).Take(5).Should().Equal("%PDF-"u8.ToArray());
        (await http.GetStringAsync("/api/workflows/wf-features/export/md")).Should().Contain("A informação da ação");
        (await http.DeleteAsync("/api/workflows/wf-features/messages")).EnsureSuccessStatusCode();
        (await _factory.Store.GetMessagesAsync(user.ToString(), session.Id)).Messages.Should().BeEmpty();
    }
}
