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
    [Fact]
    public async Task A_reply_in_progress_is_read_after_an_offset_and_stopped_over_http_and_stop_and_retry_frames_work()
    {
        var (token, user) = await ServerClient.TokenAsync(_factory, "replies");
        var (otherToken, _) = await ServerClient.TokenAsync(_factory, "replies-other");
        var session = await _factory.Store.GetOrCreateSessionAsync(user.ToString(), "wf-replies", "wf-replies");
        await _factory.Store.AppendMessageAsync(user.ToString(), session.Id, NewChatMessage.User("Uma pergunta"));
        await using var writer = await ChatReplyWriter.StartAsync(_factory.Store, user.ToString(), session.Id, new NewChatReply());
        writer.Append("Olá mundo");
        await writer.FlushAsync();
        using var http = ServerClient.Http(_factory, token);

        // A tab that shows "Olá" reads the rest; the history shows the reply streaming, with its lease.
        var text = (await http.GetFromJsonAsync<JsonObject>($"/api/messages/{writer.Message.Id}/text?offset=3"))!;
        text["text"]!.GetValue<string>().Should().Be(" mundo");
        text["length"]!.GetValue<long>().Should().Be(9);
        text["status"]!.GetValue<string>().Should().Be("streaming");
        text["leaseExpiresAt"]!.GetValue<DateTimeOffset>().Should().BeAfter(DateTimeOffset.UtcNow);
        var page = (await http.GetFromJsonAsync<JsonObject>("/api/workflows/wf-replies/messages"))!["messages"]!.AsArray();
        page[1]!["status"]!.GetValue<string>().Should().Be("streaming");
        page[1]!["content"]!.GetValue<string>().Should().Be("Olá mundo");
        page[1]!["leaseExpiresAt"].Should().NotBeNull();
        page[0]!["status"]!.GetValue<string>().Should().Be("complete");
        page[0]!["reason"].Should().BeNull();

        // Bad input: a negative offset is 400; an unknown id, and another user's reply, are 404 (to read and to stop).
        (await http.GetAsync($"/api/messages/{writer.Message.Id}/text?offset=-1")).StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await http.GetAsync($"/api/messages/{Guid.NewGuid()}/text")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await http.PostAsync($"/api/messages/{Guid.NewGuid()}/stop", null)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        using (var other = ServerClient.Http(_factory, otherToken))
        {
            (await other.GetAsync($"/api/messages/{writer.Message.Id}/text")).StatusCode.Should().Be(HttpStatusCode.NotFound);
            (await other.PostAsync($"/api/messages/{writer.Message.Id}/stop", null)).StatusCode.Should().Be(HttpStatusCode.NotFound);
        }

        // Stop over HTTP reaches the writer (here through the store, as from another instance): it ends stopped with its text.
        var stopping = (await (await http.PostAsync($"/api/messages/{writer.Message.Id}/stop", null)).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<JsonObject>())!;
        stopping["reason"]!.GetValue<string>().Should().Be("stopRequested");
        writer.Append("!");
        await writer.FlushAsync();
        writer.StopRequested.IsCancellationRequested.Should().BeTrue("the writer learnt the stop from the store");
        var stopped = await writer.EndAsync(ChatReplyStatus.Stopped, ChatReplyReason.StopRequested);
        stopped.Content.Should().Be("Olá mundo!");
        var ended = (await http.GetFromJsonAsync<JsonObject>($"/api/messages/{writer.Message.Id}/text"))!;
        (ended["status"]!.GetValue<string>(), ended["reason"]!.GetValue<string>(), ended["text"]!.GetValue<string>()).Should().Be(("stopped", "stopRequested", "Olá mundo!"));

        // Frames: retry of the stopped reply starts a new one (start, deltas, end complete); stop and retry check their input.
        using var socket = await ServerClient.ConnectAsync(_factory, token, "wf-replies");
        (await ServerClient.ReceiveAsync(socket, "history"))["messages"]![1]!["status"]!.GetValue<string>().Should().Be("stopped");
        await ServerClient.SendAsync(socket, new { type = "stop" });
        (await ServerClient.ReceiveAsync(socket, "error"))["code"]!.GetValue<string>().Should().Be("invalid");
        var retryId = Guid.NewGuid();
        await ServerClient.SendAsync(socket, new { type = "retry", id = retryId, messageId = Guid.NewGuid() });
        (await ServerClient.ReceiveAsync(socket, "error"))["id"]!.GetValue<Guid>().Should().Be(retryId);
        await ServerClient.SendAsync(socket, new { type = "retry", id = retryId, messageId = writer.Message.Id });
        var start = await ServerClient.ReceiveAsync(socket, "assistant.start");
        (start["message"]!["id"]!.GetValue<Guid>(), start["message"]!["status"]!.GetValue<string>()).Should().Be((retryId, "streaming"));
        var deltas = new List<string>();
        JsonObject frame;
        while ((frame = await ServerClient.ReceiveAsync(socket))["type"]!.GetValue<string>() != "assistant.end")
        {
            if (frame["type"]!.GetValue<string>() == "assistant.delta")
            {
                frame["offset"]!.GetValue<long>().Should().Be(deltas.Sum(d => d.Length), "each delta says where its text goes");
                deltas.Add(frame["text"]!.GetValue<string>());
            }
        }

        (frame["message"]!["status"]!.GetValue<string>(), frame["message"]!["content"]!.GetValue<string>()).Should().Be(("complete", string.Concat(deltas)));
        await ServerClient.SendAsync(socket, new { type = "retry", id = Guid.NewGuid(), messageId = retryId });
        (await ServerClient.ReceiveAsync(socket, "error"))["message"]!.GetValue<string>().Should().Contain("stopped or interrupted");
    }
}
