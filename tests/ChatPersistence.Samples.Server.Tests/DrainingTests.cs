using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>A stopping server closes its sockets with 1001 (going away) at once, so clients reconnect to another instance.</summary>
public sealed class DrainingTests
{
    [Fact]
    public async Task A_stopping_server_closes_its_sockets_with_going_away_at_once()
    {
        // The shutdown timeout is ten minutes: a socket closed only when it runs out would not be closed within the wait
        // below (a hang bound, not a timing), and one aborted then would have no close status.
        var app = ChatServer.Build(
            ["--environment", "Development", "--urls", "http://127.0.0.1:0", "--ChatPersistence:Store", "InMemory"],
            builder => builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(10)));
        await app.StartAsync();
        try
        {
            var url = app.Urls.First();
            using var http = new HttpClient { BaseAddress = new Uri(url) };
            var token = (await (await http.PostAsJsonAsync("/dev/token", new { name = "drained" })).Content.ReadFromJsonAsync<JsonObject>())!["token"]!.GetValue<string>();
            await using var socket = await LiveSocket.ConnectAsync(url, token, "drain");
            await socket.WaitForAsync("history");

            var stopping = app.StopAsync();
            var (status, description) = await socket.CloseStatusAsync(TimeSpan.FromSeconds(60));
            status.Should().Be(WebSocketCloseStatus.EndpointUnavailable, "the socket is closed when the server starts stopping, not at its shutdown timeout");
            description.Should().Be("server stopping");
            await stopping.WaitAsync(TimeSpan.FromSeconds(60));
        }
        finally
        {
            await app.DisposeAsync();
        }
    }
}
