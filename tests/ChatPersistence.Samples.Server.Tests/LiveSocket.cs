using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// A chat WebSocket to a server on a real port that records every frame it receives with the time it arrived
/// (<see cref="Stopwatch.GetTimestamp"/>), read in the background, so latency is measured at arrival, not when a test looks.
/// </summary>
public sealed class LiveSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly List<(JsonObject Frame, long At)> _frames = [];
    private readonly SemaphoreSlim _arrived = new(0);
    private Task _reader = Task.CompletedTask;

    private LiveSocket()
    {
    }

    public static async Task<LiveSocket> ConnectAsync(string serverUrl, string token, string workflowId, long? after = null)
    {
        var live = new LiveSocket();
        var resume = after is { } a ? $"&after={a}" : "";
        var uri = new Uri(serverUrl.Replace("http://", "ws://", StringComparison.Ordinal) + $"/ws/chat?workflowId={Uri.EscapeDataString(workflowId)}{resume}&access_token={token}");
        await live._socket.ConnectAsync(uri, CancellationToken.None);
        live._reader = live.ReadAsync();
        return live;
    }

    /// <summary>Every frame received so far, in order.</summary>
    public IReadOnlyList<(JsonObject Frame, long At)> Frames
    {
        get
        {
            lock (_frames)
            {
                return [.. _frames];
            }
        }
    }

    /// <summary>The message frames received so far (what other tabs and instances saved), as their message objects.</summary>
    public IReadOnlyList<(JsonObject Message, long At)> Messages =>
        [.. Frames.Where(f => Type(f.Frame) == "message").Select(f => (f.Frame["message"]!.AsObject(), f.At))];

    public Task SendAsync(object frame) =>
        _socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(frame), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>Waits for the first frame (from the start) that matches; fails after <paramref name="seconds"/>.</summary>
    public async Task<(JsonObject Frame, long At)> WaitForAsync(Func<JsonObject, bool> match, double seconds = 10)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        while (true)
        {
            foreach (var frame in Frames)
            {
                if (match(frame.Frame))
                {
                    return frame;
                }
            }

            var left = deadline - Stopwatch.GetTimestamp();
            if (left <= 0 || _reader.IsCompleted)
            {
                throw new TimeoutException($"No matching frame within {seconds} s; received:\n" + string.Join("\n", Frames.Select(f => f.Frame.ToJsonString())));
            }

            await _arrived.WaitAsync(TimeSpan.FromTicks(Math.Min(left * TimeSpan.TicksPerSecond / Stopwatch.Frequency, TimeSpan.TicksPerSecond / 10)));
        }
    }

    public Task<(JsonObject Frame, long At)> WaitForAsync(string type, double seconds = 10) => WaitForAsync(f => Type(f) == type, seconds);

    /// <summary>Waits for the message frame of message <paramref name="id"/>.</summary>
    public Task<(JsonObject Frame, long At)> WaitForMessageAsync(Guid id, double seconds = 10) =>
        WaitForAsync(f => Type(f) == "message" && f["message"]!["id"]!.GetValue<Guid>() == id, seconds);

    /// <summary>Waits until the server closes the socket and returns its close status and description.</summary>
    public async Task<(WebSocketCloseStatus? Status, string? Description)> CloseStatusAsync(TimeSpan timeout)
    {
        await _reader.WaitAsync(timeout);
        return (_socket.CloseStatus, _socket.CloseStatusDescription);
    }

    public static string Type(JsonObject frame) => frame["type"]!.GetValue<string>();

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
            }
            catch (Exception ex) when (ex is WebSocketException or TimeoutException)
            {
            }
        }

        _socket.Dispose();
        await _reader.ContinueWith(_ => { }, TaskScheduler.Default);
        _arrived.Dispose();
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[256 * 1024];
        try
        {
            while (true)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    length += result.Count;
                }
                while (!result.EndOfMessage);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    if (_socket.State == WebSocketState.CloseReceived)
                    {
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    }

                    return;
                }

                var at = Stopwatch.GetTimestamp();
                var frame = JsonNode.Parse(Encoding.UTF8.GetString(buffer, 0, length))!.AsObject();
                lock (_frames)
                {
                    _frames.Add((frame, at));
                }

                _arrived.Release();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }
}
