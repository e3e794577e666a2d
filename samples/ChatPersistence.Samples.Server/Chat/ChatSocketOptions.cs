namespace ChatPersistence.Samples.Server.Chat;

/// <summary>Limits of the WebSocket endpoint (section <c>Chat</c>).</summary>
public sealed class ChatSocketOptions
{
    /// <summary>The largest frame (one JSON message) accepted, in bytes; larger ones get an error frame. Default 64 KB.</summary>
    public int MaxFrameBytes { get; set; } = 64 * 1024;

    /// <summary>How many stored messages the assistant sees as context. Default 20.</summary>
    public int ContextMessages { get; set; } = 20;

    /// <summary>
    /// Origins (<c>https://app.example.com</c>) allowed to open the WebSocket besides the server's own. A browser request from
    /// any other origin is refused with 403 (a page elsewhere cannot ride on a user's token); clients that send no
    /// <c>Origin</c> (not browsers) are not affected.
    /// </summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>The offline assistant's delay per streamed word (0 in tests). Default 40 ms.</summary>
    public TimeSpan OfflineWordDelay { get; set; } = TimeSpan.FromMilliseconds(40);
}
