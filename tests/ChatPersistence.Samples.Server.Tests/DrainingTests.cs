using System.Diagnostics;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>A stopping server closes its sockets with 1001 (going away) at once, so clients reconnect to another instance.</summary>
public sealed class DrainingTests
{
    [Fact]
    public async Task A_stopping_server_closes_its_sockets_with_going_away_at_once()
    {
        var app = ChatServer.Build(["--environment", "Development", "--urls", "http://127.0.0.1:0", "--ChatPersistence:Store", "InMemory"]);
        await app.StartAsync();
        try
        {
            var url = app.Urls.First();
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            var token = (await (await http.PostAsJsonAsync("/dev/token", new { name = "drained" })).Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
            await using var socket = await LiveSocket.ConnectAsync(url, token, "drain");
            await socket.WaitForAsync("history");

            var clock = Stopwatch.StartNew();
            var stopping = app.StopAsync();
            var (status, description) = await socket.CloseStatusAsync(TimeSpan.FromSeconds(10));
            clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5), "the socket is closed when the server starts stopping, not at its shutdown timeout");
            status.Should().Be(WebSocketCloseStatus.EndpointUnavailable);
            description.Should().Be("server stopping");
            await stopping;
        }
        finally
        {
            await app.DisposeAsync();
        }
    }
}
