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

/// <summary>Per-user limits from the framework's rate limiters: refusals are 429 Problem Details or error frames, and nothing refused is stored.</summary>
public sealed class LimitsTests : IDisposable
{
    private readonly ServerFactory _base = new();

    [Fact]
    public async Task Api_calls_beyond_the_per_user_rate_are_429_problem_details_with_retry_after()
    {
        await using var factory = Factory(("Limits:ApiRequestsPerMinute", "5"));
        var (token, _) = await ServerClient.TokenAsync(factory, "api-rate");
        var (other, _) = await ServerClient.TokenAsync(factory, "api-rate-other");
        using var http = ServerClient.Http(factory, token);

        var statuses = new List<HttpStatusCode>();
        HttpResponseMessage last = null!;
        for (var i = 0; i < 8; i++)
        {
            last = await http.GetAsync("/api/sessions");
            statuses.Add(last.StatusCode);
        }

        statuses.Take(5).Should().OnlyContain(s => s == HttpStatusCode.OK);
        statuses.Skip(5).Should().OnlyContain(s => s == HttpStatusCode.TooManyRequests);
        last.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await last.Content.ReadFromJsonAsync<JsonObject>())!["status"]!.GetValue<int>().Should().Be(429);
        last.Headers.RetryAfter.Should().NotBeNull();
        using var otherHttp = ServerClient.Http(factory, other);
        (await otherHttp.GetAsync("/api/sessions")).StatusCode.Should().Be(HttpStatusCode.OK, "the limit is per user");
    }

    [Fact]
    public async Task Reads_of_a_replys_text_have_a_budget_of_their_own_apart_from_the_APIs()
    {
        await using var factory = Factory(("Limits:ApiRequestsPerMinute", "2"), ("Limits:ReplyReadsPerMinute", "6"));
        var (token, user) = await ServerClient.TokenAsync(factory, "reply-reads");
        var store = factory.Services.GetRequiredService<IChatSessionStore>();
        var session = await store.GetOrCreateSessionAsync(user.ToString(), "wf", "wf");
        var reply = await store.AppendMessageAsync(user.ToString(), session.Id, NewChatMessage.Assistant("Olá"));
        using var http = ServerClient.Http(factory, token);
        for (var i = 0; i < 3; i++)
        {
            await http.GetAsync("/api/sessions"); // the API budget (2) is spent
        }

        var reads = new List<HttpStatusCode>();
        for (var i = 0; i < 7; i++)
        {
            reads.Add((await http.GetAsync($"/api/messages/{reply.Id}/text?offset=1")).StatusCode);
        }

        reads.Should().Equal([.. Enumerable.Repeat(HttpStatusCode.OK, 6), HttpStatusCode.TooManyRequests], "Limits:ReplyReadsPerMinute is 6, whatever the API budget");
    }

    [Fact]
    public async Task With_Redis_down_the_limits_are_counted_by_the_instance_instead_of_failing_requests()
    {
        string unreachable;
        using (var redis = await RedisProcess.StartAsync())
        {
            unreachable = redis.Configuration + ",connectTimeout=1000"; // a real Redis, stopped before the server starts
        }

        await using var factory = Factory(("Limits:Redis", unreachable), ("Limits:ApiRequestsPerMinute", "3"));
        var (token, _) = await ServerClient.TokenAsync(factory, "redis-down");
        using var http = ServerClient.Http(factory, token);
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 5; i++)
        {
            statuses.Add((await http.GetAsync("/api/sessions")).StatusCode);
        }

        statuses.Should().Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests, HttpStatusCode.TooManyRequests],
            "an unreachable Redis neither fails the request (500) nor lifts the limit: the in-process limiter of the same limit counts");
    }

    [Theory]
    [InlineData("Limits:SendsPerMinute", "3", "rate_limited")]
    [InlineData("Limits:DailyMessages", "3", "quota_exceeded")]
    [InlineData("Limits:DailyMessageBytes", "15", "quota_exceeded")]
    public async Task Sends_beyond_a_limit_get_an_error_frame_and_are_not_stored(string setting, string value, string code)
    {
        await using var factory = Factory((setting, value));
        var (token, user) = await ServerClient.TokenAsync(factory, "send-limit");
        using var socket = await ServerClient.ConnectAsync(factory, token, "wf-limit");
        await ServerClient.ReceiveAsync(socket, "history");

        for (var i = 0; i < 3; i++)
        {
            await ServerClient.SendAsync(socket, new { type = "send", id = Guid.NewGuid(), content = "12345" });
            await ServerClient.ReceiveAsync(socket, "saved");
            await ServerClient.ReceiveAsync(socket, "assistant.end");
        }

        var refusedId = Guid.NewGuid();
        await ServerClient.SendAsync(socket, new { type = "send", id = refusedId, content = "12345" });
        var error = await ServerClient.ReceiveAsync(socket, "error");

        error["code"]!.GetValue<string>().Should().Be(code);
        error["id"]!.GetValue<Guid>().Should().Be(refusedId);
        socket.State.Should().Be(WebSocketState.Open);
        var store = factory.Services.GetService(typeof(IChatSessionStore)) as IChatSessionStore;
        var session = (await store!.ListSessionsAsync(user.ToString())).Items.Single();
        (await store.GetMessagesAsync(user.ToString(), session.Id)).Messages.Should().HaveCount(6).And.NotContain(m => m.Id == refusedId);
    }

    [Fact]
    public async Task Switch_and_stop_frames_have_a_budget_and_a_refused_one_changes_nothing()
    {
        await using var factory = Factory(("Limits:ApiRequestsPerMinute", "3"), ("ChatPersistence:Store", "InMemory"));
        var (token, user) = await ServerClient.TokenAsync(factory, "control-limit");
        var store = factory.Services.GetRequiredService<IChatSessionStore>();
        var session = await store.GetOrCreateSessionAsync(user.ToString(), "wf-control", "wf-control");
        var stored = await store.AppendMessagesAsync(user.ToString(), session.Id, [NewChatMessage.User("q"), NewChatMessage.Assistant("a")]);
        var version = await store.AppendVersionAsync(user.ToString(), session.Id, stored[1].Id, NewChatMessage.Assistant("a again"));
        using var socket = await ServerClient.ConnectAsync(factory, token, "wf-control");
        await ServerClient.ReceiveAsync(socket, "history");

        // Three control frames fit (ApiRequestsPerMinute); the fourth is refused and switches nothing.
        foreach (var index in new[] { 0, 1, 0 })
        {
            await ServerClient.SendAsync(socket, new { type = "switch", messageId = version.Id, index });
            await ServerClient.ReceiveAsync(socket, "path");
        }

        await ServerClient.SendAsync(socket, new { type = "switch", messageId = version.Id, index = 1 });
        var error = await ServerClient.ReceiveAsync(socket, "error");
        error["code"]!.GetValue<string>().Should().Be("rate_limited");
        (await store.GetSessionAsync(user.ToString(), session.Id))!.ActiveLeafId.Should().Be(stored[1].Id, "the refused switch changed nothing");
        await ServerClient.SendAsync(socket, new { type = "stop", messageId = version.Id });
        (await ServerClient.ReceiveAsync(socket, "error"))["code"]!.GetValue<string>().Should().Be("rate_limited");
        socket.State.Should().Be(WebSocketState.Open);
    }

    [Fact]
    public async Task A_user_cannot_hold_more_sockets_than_the_limit_not_even_with_1000_attempts()
    {
        await using var factory = Factory(("Limits:SocketsPerUser", "3"));
        var (token, _) = await ServerClient.TokenAsync(factory, "sockets");
        var (other, _) = await ServerClient.TokenAsync(factory, "sockets-other");
        var open = new List<WebSocket>();
        for (var i = 0; i < 3; i++)
        {
            open.Add(await ServerClient.ConnectAsync(factory, token, "wf-sockets"));
            await ServerClient.ReceiveAsync(open[^1], "history");
        }

        var refused = 0;
        for (var i = 0; i < 1000; i++)
        {
            try
            {
                (await ServerClient.ConnectAsync(factory, token, "wf-sockets")).Dispose();
            }
            catch (InvalidOperationException ex) when (ex.Message.Contains("429"))
            {
                refused++;
            }
        }

        refused.Should().Be(1000);
        using (var otherSocket = await ServerClient.ConnectAsync(factory, other, "wf-sockets"))
        {
            (await ServerClient.ReceiveAsync(otherSocket, "history")).Should().NotBeNull("the limit is per user");
        }

        await open[0].CloseAsync(WebSocketCloseStatus.NormalClosure, "done", CancellationToken.None);
        open[0].Dispose();
        await WaitUntilAsync(async () =>
        {
            try
            {
                using var again = await ServerClient.ConnectAsync(factory, token, "wf-sockets");
                return true;
            }
            catch (InvalidOperationException)
            {
                return false;
            }
        });
        foreach (var socket in open.Skip(1))
        {
            socket.Dispose();
        }
    }

    [Fact]
    public async Task A_request_body_above_the_limit_is_413()
    {
        await using var app = ChatServer.Build(["--environment", "Development", "--urls", "http://127.0.0.1:0", "--ChatPersistence:Store", "InMemory", "--Limits:MaxRequestBodyBytes", "1024"]);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        var response = await http.PostAsJsonAsync("/dev/token", new { name = new string('x', 4096) });

        response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        (await http.PostAsJsonAsync("/dev/token", new { name = "small" })).StatusCode.Should().Be(HttpStatusCode.OK);
        await app.StopAsync();
    }

    public void Dispose() => _base.Dispose();

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException("The condition did not become true in 5 s.");
    }

    private WebApplicationFactory<Program> Factory(params (string Key, string Value)[] settings) =>
        _base.WithWebHostBuilder(builder =>
        {
            foreach (var (key, value) in settings)
            {
                builder.UseSetting(key, value);
            }
        });
}
