using ChatPersistence.Sdk;
using Microsoft.AspNetCore.Http.Features;

namespace ChatPersistence.Samples.Server.Api;

/// <summary>
/// Finds a user's session for a workflow without creating it (reads never write), and reads a workflow id from the URL
/// exactly as the client encoded it, so an id containing <c>/</c> (sent as <c>%2F</c>) is reachable over HTTP.
/// </summary>
internal static class WorkflowSessions
{
    /// <summary>
    /// The user's session for <paramref name="workflowId"/>, or <see langword="null"/> when there is none. The store has no
    /// lookup by workflow that does not create, so this pages through the user's sessions (most recent first, 500 a page).
    /// </summary>
    public static async Task<ChatSession?> FindAsync(IChatSessionStore store, string userId, string workflowId, CancellationToken cancellationToken)
    {
        // Stores keep workflow ids in Unicode normalization form C; compare in the same form.
        try
        {
            workflowId = workflowId.Normalize(System.Text.NormalizationForm.FormC);
        }
        catch (ArgumentException)
        {
            return null; // Not valid Unicode: no stored workflow has this id.
        }

        string? cursor = null;
        do
        {
            var page = await store.ListSessionsAsync(userId, new ChatListRequest { PageSize = ChatPersistenceLimits.MaxPageSize, Cursor = cursor }, cancellationToken);
            if (page.Items.FirstOrDefault(s => string.Equals(s.WorkflowId, workflowId, StringComparison.Ordinal)) is { } session)
            {
                return session;
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return null;
    }

    /// <summary>
    /// The workflow id of a <c>/api/workflows/{workflowId}/…</c> request, decoded once from the raw request target. The
    /// server decodes every escape of a path except <c>%2F</c>; reading the raw segment makes <c>a%2Fb</c> the id <c>a/b</c>
    /// and <c>a%252Fb</c> the id <c>a%2Fb</c>, with no ambiguity.
    /// </summary>
    public static string WorkflowId(HttpContext context, string routeValue)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (string.IsNullOrEmpty(raw))
        {
            // No raw target (an in-memory test server): the route value still carries the one escape servers keep.
            return routeValue.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        }

        var query = raw.IndexOf('?', StringComparison.Ordinal);
        var path = query >= 0 ? raw[..query] : raw;
        const string Prefix = "/api/workflows/";
        var start = path.IndexOf(Prefix, StringComparison.OrdinalIgnoreCase);
        if (start < 0)
        {
            return routeValue.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        }

        var segment = path[(start + Prefix.Length)..];
        var end = segment.IndexOf('/', StringComparison.Ordinal);
        return Uri.UnescapeDataString(end >= 0 ? segment[..end] : segment);
    }
}
