using System.Net.WebSockets;
using System.Text.Json;
using ChatPersistence.Sdk;

namespace ChatPersistence.Samples.Server.Chat;

/// <summary>
/// One open chat socket: its user and workflow, the workflow's session once known, one-at-a-time sending (the frame loop
/// and the live updates both write to the socket) and the ids of messages this socket already acknowledged itself, so the
/// live updates do not send them a second time.
/// </summary>
internal sealed class ChatConnection(WebSocket socket, string userId, string workflowId) : IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly SemaphoreSlim _sending = new(1, 1);
    private readonly Lock _gate = new();
    private readonly HashSet<Guid> _acknowledged = [];
    private ChatSession? _session;

    public WebSocket Socket { get; } = socket;

    public string UserId { get; } = userId;

    public string WorkflowId { get; } = workflowId;

    /// <summary>The workflow's session, or <see langword="null"/> until its first message (or after it was deleted).</summary>
    public ChatSession? Session
    {
        get
        {
            lock (_gate)
            {
                return _session;
            }
        }

        set
        {
            lock (_gate)
            {
                _session = value;
            }
        }
    }

    /// <summary>Sets the session if none is known yet and returns the one known.</summary>
    public ChatSession Adopt(ChatSession session)
    {
        lock (_gate)
        {
            return _session ??= session;
        }
    }

    /// <summary>Notes that this socket sends the message <paramref name="id"/> itself (saved; its reply comes as assistant.start/end).</summary>
    public void WillAcknowledge(Guid id)
    {
        lock (_gate)
        {
            _acknowledged.Add(id);
        }
    }

    /// <summary>Whether the message was (or will be) acknowledged on this socket; forgets it, as it is read once.</summary>
    public bool TakeAcknowledged(Guid id)
    {
        lock (_gate)
        {
            return _acknowledged.Remove(id);
        }
    }

    /// <summary>Sends one JSON frame; frames never interleave. Nothing is sent once the socket is no longer open.</summary>
    public async Task SendAsync(object frame, CancellationToken cancellation)
    {
        var bytes = JsonSerializer.SerializeToUtf8Bytes(frame, Json);
        await _sending.WaitAsync(cancellation);
        try
        {
            if (Socket.State == WebSocketState.Open)
            {
                await Socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancellation);
            }
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>Closes the socket normally, after any frame being sent.</summary>
    public async Task CloseAsync(string reason)
    {
        await _sending.WaitAsync();
        try
        {
            await Socket.CloseAsync(WebSocketCloseStatus.NormalClosure, reason, CancellationToken.None);
        }
        finally
        {
            _sending.Release();
        }
    }

    /// <summary>Starts the closing handshake from the server (the receive loop then gets the client's answer); never throws.</summary>
    public async Task CloseOutputAsync(WebSocketCloseStatus status, string reason)
    {
        try
        {
            await _sending.WaitAsync();
            try
            {
                if (Socket.State == WebSocketState.Open)
                {
                    await Socket.CloseOutputAsync(status, reason, CancellationToken.None);
                }
            }
            finally
            {
                _sending.Release();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
        }
    }

    public void Dispose() => _sending.Dispose();
}
