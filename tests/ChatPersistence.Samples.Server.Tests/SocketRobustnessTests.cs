using System.Net.WebSockets;
using System.Text;
using FluentAssertions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Xunit;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>Whatever a client sends, it gets an error frame, the socket stays open, and the log gets one short line at most.</summary>
public sealed class SocketRobustnessTests : IDisposable
{
    private readonly ServerFactory _base = new();
    private readonly WebApplicationFactory<Program> _factory;

    public SocketRobustnessTests() =>
        _factory = _base.WithWebHostBuilder(builder => builder.ConfigureServices(services => services.AddLogging(logging => logging.AddFakeLogging())));

    public static TheoryData<string, string> MalformedFrames => new()
    {
        { """{"type":1}""", "bad_json" },
        { """{"type":"send","id":"ID","content":123}""", "bad_json" },
        { """{"type":"send","id":"ID","content":"\ud800"}""", "*" },
        { """{"type":"send","id":"ID","content":"ok","content":"twice"}""", "bad_json" },
        { """{"type":"ping","type":"send"}""", "bad_json" },
        { """{"type":"send","id":{"nested":true},"content":"x"}""", "bad_json" },
        { """{"type":"send","id":"ID","content":null}""", "invalid" },
        { """{"type":"send","id":"not-a-uuid","content":"x"}""", "invalid" },
        { """{"type":"send","id":"00000000-0000-0000-0000-000000000000","content":"x"}""", "invalid" },
        { """{"type":null}""", "unknown_type" },
        { "{}", "unknown_type" },
        { "[]", "bad_json" },
        { "null", "bad_json" },
        { "\"send\"", "bad_json" },
        { "{\"type\":\"send\"", "bad_json" },
        { "", "bad_json" },
    };

    [Theory]
    [MemberData(nameof(MalformedFrames))]
    public async Task A_malformed_frame_gets_an_error_frame_and_the_socket_stays_open(string frame, string code)
    {
        var (token, _) = await ServerClient.TokenAsync(_factory, "robust");
        using var socket = await ConnectAsync(token, "wf-robust");
        await ServerClient.ReceiveAsync(socket, "history");

        await ServerClient.SendTextAsync(socket, frame.Replace("ID", Guid.NewGuid().ToString(), StringComparison.Ordinal));
        var error = await ServerClient.ReceiveAsync(socket);

        error["type"]!.GetValue<string>().Should().Be("error");
        error["code"]!.GetValue<string>().Should().Match(code);
        error["message"]!.GetValue<string>().Should().NotContain("(Parameter '");
        await ServerClient.SendAsync(socket, new { type = "ping" });
        (await ServerClient.ReceiveAsync(socket))["type"]!.GetValue<string>().Should().Be("pong");
        socket.State.Should().Be(WebSocketState.Open);
    }

    [Fact]
    public async Task A_binary_frame_gets_an_error_frame()
    {
        var (token, _) = await ServerClient.TokenAsync(_factory, "robust-binary");
        using var socket = await ConnectAsync(token, "wf-robust");
        await ServerClient.ReceiveAsync(socket, "history");

        await socket.SendAsync(Encoding.UTF8.GetBytes("""{"type":"ping"}"""), WebSocketMessageType.Binary, true, CancellationToken.None);

        (await ServerClient.ReceiveAsync(socket))["code"]!.GetValue<string>().Should().Be("bad_json");
        socket.State.Should().Be(WebSocketState.Open);
    }

    [Fact]
    public async Task Refused_frames_are_logged_as_one_line_without_a_stack_trace_and_rate_limited()
    {
        var (token, _) = await ServerClient.TokenAsync(_factory, "robust-log");
        using var socket = await ConnectAsync(token, "wf-robust-log");
        await ServerClient.ReceiveAsync(socket, "history");
        var logs = _factory.Services.GetRequiredService<FakeLogCollector>();
        logs.Clear();

        for (var i = 0; i < 100; i++)
        {
            await ServerClient.SendTextAsync(socket, i % 2 == 0 ? """{"type":1}""" : """{"a":1,"a":2}""");
            await ServerClient.ReceiveAsync(socket, "error");
        }

        var lines = logs.GetSnapshot().Where(r => r.Level >= LogLevel.Warning).ToList();
        lines.Should().NotBeEmpty();
        lines.GroupBy(r => r.Message.Split(' ')[5]).Should().OnlyContain(code => code.Count() <= 20, "a client can provoke these at will: the log is rate-limited per user and code");
        lines.Should().OnlyContain(r => r.Exception == null && !r.Message.Contains('\n') && r.Message.Length < 400);
        socket.State.Should().Be(WebSocketState.Open);
    }

    public void Dispose()
    {
        _factory.Dispose();
        _base.Dispose();
    }

    private Task<WebSocket> ConnectAsync(string token, string workflowId) => ServerClient.ConnectAsync(_factory, token, workflowId);
}
