using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Mvc.Testing;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>Helpers: dev tokens, authenticated HTTP, a real WebSocket client over the test server.</summary>
public static class ServerClient
{
    public static async Task<(string Token, Guid UserId)> TokenAsync(WebApplicationFactory<Program> factory, string name)
    {
        using var http = factory.CreateClient();
        var response = await http.PostAsJsonAsync("/dev/token", new { name });
        response.EnsureSuccessStatusCode();
        var body = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        return (body["token"]!.GetValue<string>(), Guid.Parse(body["userId"]!.GetValue<string>()));
    }

    public static HttpClient Http(WebApplicationFactory<Program> factory, string token)
    {
        var http = factory.CreateClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return http;
    }

    public static async Task<WebSocket> ConnectAsync(WebApplicationFactory<Program> factory, string token, string workflowId)
    {
        var client = factory.Server.CreateWebSocketClient();
        return await client.ConnectAsync(new Uri(factory.Server.BaseAddress, $"ws/chat?workflowId={Uri.EscapeDataString(workflowId)}&access_token={token}"), CancellationToken.None);
    }

    public static Task SendAsync(WebSocket socket, object frame) =>
        SendTextAsync(socket, System.Text.Json.JsonSerializer.Serialize(frame));

    public static Task SendTextAsync(WebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, CancellationToken.None);

    public static async Task<JsonObject> ReceiveAsync(WebSocket socket, string? type = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (true)
        {
            var buffer = new byte[64 * 1024];
            var length = 0;
            WebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(new ArraySegment<byte>(buffer, length, buffer.Length - length), timeout.Token);
                length += result.Count;
            }
            while (!result.EndOfMessage);
            var frame = JsonNode.Parse(buffer.AsSpan(0, length))!.AsObject();
            if (type is null || frame["type"]!.GetValue<string>() == type)
            {
                return frame;
            }
        }
    }
}
