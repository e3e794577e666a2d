namespace ChatPersistence.Samples.Server.Limits;

/// <summary>
/// Per-user limits (section <c>Limits</c>), with defaults that hold on a small server. With <see cref="Redis"/> set, every
/// counter lives in Redis, so all instances behind a load balancer share each user's limits; without it, with the PostgreSQL
/// store, they live in its database (<see cref="SharedInDatabase"/>); otherwise in the server process (ASP.NET Core's rate
/// limiters), and several instances each count on their own.
/// </summary>
public sealed class LimitsOptions
{
    /// <summary>
    /// A StackExchange.Redis configuration string (e.g. <c>redis.internal:6379,password=…</c>): the per-user limits are then
    /// counted in Redis (the RedisRateLimiting limiters, plugged into ASP.NET Core's rate limiting), one budget per user for the
    /// whole cluster. <see langword="null"/> (default): counted per process.
    /// </summary>
    public string? Redis { get; set; }

    /// <summary>
    /// Without <see cref="Redis"/> and with the PostgreSQL store: count the daily quotas and the per-minute API, MCP, send and PDF
    /// limits in the database (the sample's own table <c>chat_server_limits.counters</c>, created at first use; fixed windows,
    /// one upsert per check), so that all instances share them; the open-socket and concurrent-PDF caps too, as rows of
    /// <c>chat_server_limits.permits</c> held while the socket is open or the PDF is built (see <see cref="HeldPermitExpiry"/>).
    /// Default <see langword="true"/>.
    /// </summary>
    public bool SharedInDatabase { get; set; } = true;

    /// <summary>
    /// With <see cref="SharedInDatabase"/>: how long a held permit (an open socket, a PDF being built) lives in the database
    /// unless the instance holding it renews it, which it does every third of this time. The permits of an instance that
    /// crashed are free again within it. Default 30 seconds; at least 1 second.
    /// </summary>
    public TimeSpan HeldPermitExpiry { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>HTTP API calls per user per minute (a token bucket refilled every 10 seconds). Default 120.</summary>
    public int ApiRequestsPerMinute { get; set; } = 120;

    /// <summary>
    /// MCP requests (<c>/mcp</c>: tool calls, listings) per user per minute, counted apart from <see cref="ApiRequestsPerMinute"/>
    /// (a token bucket refilled every 10 seconds). Default 600: an agent can page through a 10,000-message chat (about 200 to 400
    /// calls) in a minute without touching the web page's budget.
    /// </summary>
    public int McpRequestsPerMinute { get; set; } = 600;

    /// <summary>
    /// Reads of a reply's text after an offset (<c>GET /api/messages/{id}/text</c>) per user per minute, counted apart from
    /// <see cref="ApiRequestsPerMinute"/> (a token bucket refilled every 10 seconds). Default 1,200: a tab following a reply
    /// streamed on another instance reads up to about 5 times a second (one read per coalesced <c>reply.grew</c>), so a few
    /// tabs can follow a minute-long answer without touching the page's API budget.
    /// </summary>
    public int ReplyReadsPerMinute { get; set; } = 1200;

    /// <summary>Messages a user may send per minute over the WebSocket (token bucket). Default 30.</summary>
    public int SendsPerMinute { get; set; } = 30;

    /// <summary>WebSockets a user may have open at once. Default 8.</summary>
    public int SocketsPerUser { get; set; } = 8;

    /// <summary>Messages a user may send per day (a fixed 24-hour window). Default 2,000.</summary>
    public int DailyMessages { get; set; } = 2_000;

    /// <summary>UTF-8 bytes of message text a user may send per day (fixed 24-hour window). Default 20 MB.</summary>
    public int DailyMessageBytes { get; set; } = 20 * 1024 * 1024;

    /// <summary>The largest HTTP request body Kestrel accepts (413 above). Default 64 KB: the API takes no large bodies.</summary>
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>The most message text a PDF export renders, in UTF-8 bytes (PDFs are built in memory). Default 8 MB; larger histories export as txt, md or json.</summary>
    public long MaxPdfExportBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>PDF exports a user may start per minute (token bucket), apart from <see cref="ApiRequestsPerMinute"/>. Default 6.</summary>
    public int PdfExportsPerMinute { get; set; } = 6;

    /// <summary>PDF exports a user may have running at once. Default 1.</summary>
    public int PdfExportsAtOnce { get; set; } = 1;

    /// <summary>How long a PDF export may run before it is abandoned. Default 60 seconds.</summary>
    public TimeSpan PdfExportTimeout { get; set; } = TimeSpan.FromSeconds(60);
}
