using System.Text;
using ModelContextProtocol;

namespace ChatPersistence.Sdk.Mcp.Internal;

/// <summary>
/// Finds the user's session of a workflow without creating it: reading must never write, and
/// <see cref="IChatSessionStore.GetOrCreateSessionAsync"/> creates. The store has no lookup by workflow that does not create, so
/// this pages through the user's sessions (most recently active first, <see cref="ChatPersistenceLimits.MaxPageSize"/> a page).
/// </summary>
internal static class WorkflowLookup
{
    public static async Task<ChatSession?> FindAsync(IChatSessionStore store, string userId, string workflowId, CancellationToken cancellationToken)
    {
        if (workflowId.Length is 0 or > ChatPersistenceLimits.MaxWorkflowIdLength)
        {
            return null;
        }

        try
        {
            // Stores keep workflow ids in Unicode normalization form C; compare in the same form.
            workflowId = workflowId.Normalize(NormalizationForm.FormC);
        }
        catch (ArgumentException)
        {
            return null; // Not valid Unicode: no stored workflow has this id.
        }

        string? cursor = null;
        do
        {
            var page = await store.ListSessionsAsync(userId, new ChatListRequest { PageSize = ChatPersistenceLimits.MaxPageSize, Cursor = cursor }, cancellationToken).ConfigureAwait(false);
            foreach (var session in page.Items)
            {
                if (string.Equals(session.WorkflowId, workflowId, StringComparison.Ordinal))
                {
                    return session;
                }
            }

            cursor = page.NextCursor;
        }
        while (cursor is not null);
        return null;
    }

    /// <summary>The user's session of <paramref name="workflowId"/>, or an error the model can act on.</summary>
    public static async Task<ChatSession> RequireAsync(IChatSessionStore store, string userId, string workflowId, CancellationToken cancellationToken) =>
        await FindAsync(store, userId, workflowId, cancellationToken).ConfigureAwait(false)
        ?? throw new McpException($"No chat history for workflow '{Shorten(workflowId)}'. Call list_workflows to see the workflows that have one.");

    private static string Shorten(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 80), TextBudget.Ellipsis);
}
