using System.Globalization;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.RateLimiting;

namespace ChatPersistence.Samples.Server.Limits;

/// <summary>
/// ASP.NET Core rate limiting per user (the token's <c>sub</c>): <see cref="ApiPolicy"/> on the HTTP API (token bucket),
/// <see cref="McpPolicy"/> on <c>/mcp</c> (a budget of its own: an agent paging through a long chat must not use up the page's),
/// <see cref="ReplyReadsPolicy"/> on <c>GET /api/messages/{id}/text</c> (a budget of its own: a tab following a reply streamed
/// on another instance reads a few times a second), <see cref="SocketsPolicy"/> on the WebSocket (a concurrency limit: the permit is held while the socket is open).
/// Refusals are 429 Problem Details with <c>Retry-After</c>.
/// </summary>
internal static class ChatRateLimiting
{
    public const string ApiPolicy = "api";
    public const string McpPolicy = "mcp";
    public const string SocketsPolicy = "sockets";
    public const string ReplyReadsPolicy = "reply-reads";

    public static IServiceCollection AddChatRateLimiting(this IServiceCollection services, LimitsOptions limits, ClusterLimits cluster) => services.AddRateLimiter(options =>
    {
        options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        options.AddPolicy(ApiPolicy, context => cluster.TokenBucket("api:" + Partition(context), limits.ApiRequestsPerMinute));
        options.AddPolicy(McpPolicy, context => cluster.TokenBucket("mcp:" + Partition(context), limits.McpRequestsPerMinute));
        options.AddPolicy(ReplyReadsPolicy, context => cluster.TokenBucket("reply-reads:" + Partition(context), limits.ReplyReadsPerMinute));
        options.AddPolicy(SocketsPolicy, context => cluster.Concurrency("sockets:" + Partition(context), limits.SocketsPerUser));
        options.OnRejected = async (context, cancellationToken) =>
        {
            var http = context.HttpContext;
            if (context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var after))
            {
                http.Response.Headers.RetryAfter = Math.Ceiling(after.TotalSeconds).ToString(CultureInfo.InvariantCulture);
            }

            var detail = http.Request.Path.StartsWithSegments("/ws")
                ? $"At most {limits.SocketsPerUser} chat connections per user are open at once: close one (another tab?) and retry."
                : "Too many requests: slow down and retry after the time in Retry-After.";
            await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails = new ProblemDetails { Status = StatusCodes.Status429TooManyRequests, Title = "Too many requests", Detail = detail, Type = "https://httpstatuses.io/429" },
            });
        };
    });

    // Endpoints under a policy require authentication, so the user is known; the address is a fallback only.
    private static string Partition(HttpContext context) =>
        context.User.FindFirst("sub")?.Value is { Length: > 0 } user ? "user:" + user : "ip:" + context.Connection.RemoteIpAddress;
}
