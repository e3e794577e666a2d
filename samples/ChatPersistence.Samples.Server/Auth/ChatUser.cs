using System.Security.Claims;

namespace ChatPersistence.Samples.Server.Auth;

/// <summary>The signed-in user of a request: the token's <c>sub</c> (checked to be a non-nil UUID at authentication).</summary>
internal static class ChatUser
{
    /// <summary>The user id in canonical form (lower-case, hyphenated), so one user is one id whatever the token's spelling.</summary>
    public static string Id(ClaimsPrincipal user) => Guid.ParseExact(user.FindFirstValue("sub")!, "D").ToString();
}
