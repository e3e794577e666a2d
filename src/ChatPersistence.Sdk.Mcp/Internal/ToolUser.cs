using System.Security.Claims;
using ModelContextProtocol;

namespace ChatPersistence.Sdk.Mcp.Internal;

/// <summary>Whose history a tool call reads: the request's principal, or the host's configured user when there is none.</summary>
internal static class ToolUser
{
    public static string Resolve(ClaimsPrincipal? principal, ChatHistoryToolsOptions options)
    {
        if (principal is null)
        {
            // No principal: a transport without authentication (stdio), where the host names its one user.
            return options.UserId is { Length: > 0 } configured
                ? configured
                : throw new McpException("This server has no user configured for chat history: the host must set ChatHistoryToolsOptions.UserId or serve the tools over an authenticated transport.");
        }

        if (principal.Identity?.IsAuthenticated != true)
        {
            throw new McpException("Not signed in: chat history tools need an authenticated request.");
        }

        var id = options.UserIdFromPrincipal is { } map ? map(principal) : principal.FindFirst(options.UserIdClaimType)?.Value;
        return id is { Length: > 0 }
            ? id
            : throw new McpException("The signed-in principal names no user id, so its chat history cannot be found.");
    }
}
