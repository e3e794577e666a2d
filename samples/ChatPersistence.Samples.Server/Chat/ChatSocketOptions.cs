namespace ChatPersistence.Samples.Server.Chat;

/// <summary>Limits of the WebSocket endpoint (section <c>Chat</c>).</summary>
public sealed class ChatSocketOptions
{
    /// <summary>The largest frame (one JSON message) accepted, in bytes; larger ones get an error frame. Default 64 KB.</summary>
    public int MaxFrameBytes { get; set; } = 64 * 1024;

    /// <summary>How many stored messages the assistant sees as context. Default 20.</summary>
    public int ContextMessages { get; set; } = 20;

    /// <summary>The offline assistant's delay per streamed word (0 in tests). Default 40 ms.</summary>
    public TimeSpan OfflineWordDelay { get; set; } = TimeSpan.FromMilliseconds(40);
}
