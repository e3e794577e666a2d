using System.Collections.Concurrent;
using System.Net.WebSockets;

namespace ChatPersistence.Samples.Server.Chat;

/// <summary>
/// This instance's open sockets (by user) and the replies it is generating now (by id). A reply's frames
/// (<c>assistant.start</c>, <c>assistant.delta</c>, <c>assistant.end</c>) go to every socket of its user on this instance that
/// shows its session; sockets on other instances follow it through the change feed (<c>reply.grew</c>). A Stop handled on
/// this instance cancels a reply generated here at once; one generated elsewhere learns it from the store.
/// </summary>
internal sealed class LiveReplies
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<ChatConnection, byte>> _sockets = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<Guid, CancellationTokenSource> _running = new();

    /// <summary>Adds an open socket; the returned value removes it.</summary>
    public IDisposable Register(ChatConnection connection)
    {
        _sockets.GetOrAdd(connection.UserId, _ => new()).TryAdd(connection, 0);
        return new Registration(this, connection);
    }

    /// <summary>Notes a reply generated here; <paramref name="stop"/> is cancelled by <see cref="TryStop"/>.</summary>
    public void Started(Guid replyId, CancellationTokenSource stop) => _running[replyId] = stop;

    /// <summary>Forgets a reply generated here (it ended).</summary>
    public void Ended(Guid replyId) => _running.TryRemove(replyId, out _);

    /// <summary>Whether the reply is being generated on this instance (its sockets get its deltas, not <c>reply.grew</c>).</summary>
    public bool IsGeneratingHere(Guid replyId) => _running.ContainsKey(replyId);

    /// <summary>Stops a reply generated on this instance at once; false when it is not generated here.</summary>
    public bool TryStop(Guid replyId)
    {
        if (!_running.TryGetValue(replyId, out var stop))
        {
            return false;
        }

        try
        {
            stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // It ended meanwhile.
        }

        return true;
    }

    /// <summary>Sends a frame to every socket of the user on this instance that shows the session; a closed socket is skipped.</summary>
    public Task BroadcastAsync(string userId, Guid sessionId, object frame, CancellationToken cancellation)
    {
        if (!_sockets.TryGetValue(userId, out var sockets))
        {
            return Task.CompletedTask;
        }

        var sends = new List<Task>();
        foreach (var connection in sockets.Keys)
        {
            if (connection.Session?.Id == sessionId)
            {
                sends.Add(SendQuietlyAsync(connection, frame, cancellation));
            }
        }

        return Task.WhenAll(sends);
    }

    private static async Task SendQuietlyAsync(ChatConnection connection, object frame, CancellationToken cancellation)
    {
        try
        {
            await connection.SendAsync(frame, cancellation);
        }
        catch (Exception ex) when (ex is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            // That socket is closing: its client reconnects and reads what is stored.
        }
    }

    private void Remove(ChatConnection connection)
    {
        if (_sockets.TryGetValue(connection.UserId, out var sockets))
        {
            sockets.TryRemove(connection, out _);
        }
    }

    private sealed class Registration(LiveReplies owner, ChatConnection connection) : IDisposable
    {
        public void Dispose() => owner.Remove(connection);
    }
}
