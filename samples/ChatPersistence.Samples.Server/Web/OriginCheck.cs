using ChatPersistence.Samples.Server.Chat;
using Microsoft.Extensions.Options;

namespace ChatPersistence.Samples.Server.Web;

/// <summary>
/// The browser-origin rule of the endpoints a page elsewhere must not reach with a user's credentials or through DNS rebinding:
/// the WebSocket and <c>/mcp</c> (the MCP streamable HTTP transport says servers MUST validate <c>Origin</c>). A request that
/// carries an <c>Origin</c> is accepted when it is the request's own scheme://host[:port] or one of <c>Chat:AllowedOrigins</c>;
/// clients that send none (not browsers: MCP clients, curl) are unaffected.
/// </summary>
internal static class OriginCheck
{
    public static bool IsAllowed(HttpRequest request, ChatSocketOptions options)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return true;
        }

        var own = $"{request.Scheme}://{request.Host}";
        return string.Equals(origin, own, StringComparison.OrdinalIgnoreCase)
            || options.AllowedOrigins.Any(allowed => string.Equals(origin, allowed.TrimEnd('/'), StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Refuses requests under <paramref name="path"/> from another origin with 403 Problem Details, before authentication.</summary>
    public static IApplicationBuilder UseOriginCheck(this IApplicationBuilder app, PathString path) => app.Use(async (context, next) =>
    {
        if (context.Request.Path.StartsWithSegments(path)
            && !IsAllowed(context.Request, context.RequestServices.GetRequiredService<IOptions<ChatSocketOptions>>().Value))
        {
            await Results.Problem(statusCode: StatusCodes.Status403Forbidden, title: "Origin not allowed",
                detail: $"{path} accepts pages of its own origin and of Chat:AllowedOrigins only.").ExecuteAsync(context);
            return;
        }

        await next(context);
    });
}
