using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// The socket of a real server process (Production, HS256 tokens, SQLite, 4 KB frames, ASP.NET Core's request logs at
/// Information on the console): the frame limit is inclusive, a conflict confirms no other user's message id, the log throttle
/// is per user and per kind, and the token in the socket URL never reaches the log.
/// </summary>
public sealed class SocketProcessTests : IAsyncLifetime
{
    private const string Secret = "socket-process-tests-secret-of-32-characters-at-least";
    private const string Issuer = "https://socket-process.example.test/auth/v1";
    private const int MaxFrameBytes = 4096;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chat-socket-process-" + Guid.NewGuid().ToString("N"));
    private ServerProcess _server = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        _server = await ServerProcess.StartAsync(
        [
            "--environment", "Production",
            "--ChatPersistence:Store", "Sqlite",
            "--ChatPersistence:Sqlite:Path", Path.Combine(_folder, "chat.db"),
            "--Auth:JwtSecret", Secret,
            "--Auth:Issuer", Issuer,
            "--Chat:MaxFrameBytes", MaxFrameBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--Chat:OfflineWordDelay", "00:00:00",
            "--Limits:SendsPerMinute", "100000",
            "--Logging:LogLevel:Default", "Information",
            "--Logging:LogLevel:Microsoft.AspNetCore", "Information",
        ]);
    }

    public Task DisposeAsync()
    {
        _server.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }

        return Task.CompletedTask;
    }

    [Fact]
    public async Task A_frame_of_exactly_MaxFrameBytes_is_accepted_and_one_byte_more_is_refused()
    {
        using var socket = await ConnectAsync(Token(Guid.NewGuid()), "wf-frame");
        await ServerClient.ReceiveAsync(socket, "history");

        var exact = SendFrame(Guid.NewGuid(), MaxFrameBytes);
        Encoding.UTF8.GetByteCount(exact).Should().Be(MaxFrameBytes);
        // In fragments, ended by an empty final one, as a client that streams a message may send it: the limit is on the
        // message's bytes (the server used to refuse this one: its buffer was full before the end of the message arrived).
        var bytes = Encoding.UTF8.GetBytes(exact);
        await socket.SendAsync(bytes.AsMemory(0, 1000), WebSocketMessageType.Text, false, CancellationToken.None);
        await socket.SendAsync(bytes.AsMemory(1000), WebSocketMessageType.Text, false, CancellationToken.None);
        await socket.SendAsync(ReadOnlyMemory<byte>.Empty, WebSocketMessageType.Text, true, CancellationToken.None);
        (await ReceiveNotStreamedAsync(socket))["type"]!.GetValue<string>().Should().Be("saved", "a frame of exactly Chat:MaxFrameBytes is within the limit");

        await ServerClient.SendTextAsync(socket, SendFrame(Guid.NewGuid(), MaxFrameBytes + 1));
        var refused = await ReceiveNotStreamedAsync(socket);
        refused["type"]!.GetValue<string>().Should().Be("error");
        refused["code"]!.GetValue<string>().Should().Be("too_large");
        socket.State.Should().Be(WebSocketState.Open);
    }

    [Fact]
    public async Task Sending_another_users_message_id_answers_as_any_conflict_and_confirms_nothing()
    {
        var id = Guid.NewGuid();
        using var alice = await ConnectAsync(Token(Guid.NewGuid()), "wf-ids");
        await ServerClient.ReceiveAsync(alice, "history");
        await ServerClient.SendAsync(alice, new { type = "send", id, content = "alice's message" });
        (await ServerClient.ReceiveAsync(alice, "saved"))["id"]!.GetValue<string>().Should().Be(id.ToString());

        var bob = Guid.NewGuid();
        using var socket = await ConnectAsync(Token(bob), "wf-ids");
        await ServerClient.ReceiveAsync(socket, "history");
        await ServerClient.SendAsync(socket, new { type = "send", id, content = "bob guesses alice's id" });
        var foreign = await ServerClient.ReceiveAsync(socket, "error");

        // Bob's own conflict: his id re-sent with other content.
        var own = Guid.NewGuid();
        await ServerClient.SendAsync(socket, new { type = "send", id = own, content = "bob's message" });
        await ServerClient.ReceiveAsync(socket, "assistant.end");
        await ServerClient.SendAsync(socket, new { type = "send", id = own, content = "bob's message, edited" });
        var mine = await ServerClient.ReceiveAsync(socket, "error");

        foreign["code"]!.GetValue<string>().Should().Be("conflict");
        foreign["message"]!.GetValue<string>().Should().Be(mine["message"]!.GetValue<string>(), "another user's id is answered exactly as any conflict")
            .And.NotContainAny("already", "stored", id.ToString());
    }

    [Fact]
    public async Task The_log_throttle_is_per_user_and_per_kind()
    {
        using var flooder = await ConnectAsync(Token(Guid.NewGuid()), "wf-flood");
        await ServerClient.ReceiveAsync(flooder, "history");
        for (var i = 0; i < 60; i++)
        {
            await ServerClient.SendTextAsync(flooder, """{"type":1}""");
            await ServerClient.ReceiveAsync(flooder, "error");
        }

        var flooded = await SettledOutputAsync();
        Count(flooded, "bad_json").Should().Be(20, "one user's lines of one kind are limited to 20 a minute");

        // The same user's other kind of refusal, and another user's refusal of the flooded kind, are still logged.
        await ServerClient.SendTextAsync(flooder, $$"""{"type":"send","id":"not-a-uuid","content":"x"}""");
        (await ServerClient.ReceiveAsync(flooder, "error"))["code"]!.GetValue<string>().Should().Be("invalid");
        using var other = await ConnectAsync(Token(Guid.NewGuid()), "wf-flood");
        await ServerClient.ReceiveAsync(other, "history");
        await ServerClient.SendTextAsync(other, """{"type":1}""");
        await ServerClient.ReceiveAsync(other, "error");

        var output = await SettledOutputAsync();
        Count(output, "bad_json").Should().Be(21, "another user's line is not hidden by the flood:\n" + output);
        Count(output, "invalid").Should().Be(1, output);
    }

    [Fact]
    public async Task The_access_token_in_the_socket_URL_is_redacted_in_ASP_NET_Core_request_logs()
    {
        var token = Token(Guid.NewGuid());
        using (var socket = await ConnectAsync(token, "wf-redact"))
        {
            await ServerClient.ReceiveAsync(socket, "history");
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        }

        var output = await SettledOutputAsync();
        output.Should().Contain("/ws/chat?workflowId=wf-redact&access_token=[redacted]", "Microsoft.AspNetCore at Information logs the request line");
        output.Should().NotContain(token).And.NotContain(token.Split('.')[2], "no part of the signed token reaches the log");
    }

    [Fact]
    public async Task A_socket_is_closed_with_4401_when_its_token_expires_and_a_fresh_token_reconnects()
    {
        var user = Guid.NewGuid();
        string shortLived;
        using (var key = TestKey.Hs256(Secret))
        {
            shortLived = key.Sign(TestKey.Claims(Issuer, user, c => c["exp"] = DateTimeOffset.UtcNow.AddSeconds(3).ToUnixTimeSeconds()));
        }

        // The history frame always comes first (the expiry is armed after it); nothing more is sent: the server closes the
        // socket when the token expires.
        using var socket = await ConnectAsync(shortLived, "wf-expiry");
        await ServerClient.ReceiveAsync(socket, "history");
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var buffer = new byte[4096];
        WebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer, wait.Token);
        }
        while (result.MessageType != WebSocketMessageType.Close);
        ((int)socket.CloseStatus!).Should().Be(4401);
        socket.CloseStatusDescription.Should().Be("token expired");

        using var fresh = await ConnectAsync(Token(user), "wf-expiry");
        await ServerClient.ReceiveAsync(fresh, "history");
        await ServerClient.SendAsync(fresh, new { type = "ping" });
        (await ServerClient.ReceiveAsync(fresh))["type"]!.GetValue<string>().Should().Be("pong");
    }

    private static string Token(Guid user)
    {
        using var key = TestKey.Hs256(Secret);
        return key.Sign(TestKey.Claims(Issuer, user));
    }

    // {"type":"send","id":"…","content":"xxx…"} of exactly `bytes` UTF-8 bytes.
    private static string SendFrame(Guid id, int bytes)
    {
        var empty = $$"""{"type":"send","id":"{{id}}","content":""}""";
        return empty.Insert(empty.Length - 2, new string('x', bytes - empty.Length));
    }

    private static async Task<JsonObject> ReceiveNotStreamedAsync(WebSocket socket)
    {
        while (true)
        {
            var frame = await ServerClient.ReceiveAsync(socket);
            if (frame["type"]!.GetValue<string>() is not ("assistant.start" or "assistant.delta" or "assistant.end"))
            {
                return frame;
            }
        }
    }

    private static int Count(string output, string code) =>
        output.Split('\n').Count(line => line.Contains($"A chat frame was refused: {code} ", StringComparison.Ordinal));

    private async Task<ClientWebSocket> ConnectAsync(string token, string workflowId)
    {
        var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{_server.Port}/ws/chat?workflowId={workflowId}&access_token={token}"), CancellationToken.None);
        return socket;
    }

    // The console logger writes on a background thread: wait until the output has not grown for a second (two checks).
    private async Task<string> SettledOutputAsync()
    {
        var last = -1;
        for (var stable = 0; stable < 2; stable = _server.Output.Length == last ? stable + 1 : 0)
        {
            last = _server.Output.Length;
            await Task.Delay(500);
        }

        return _server.Output;
    }
}
