using System.Security.Claims;
using ChatPersistence.Samples.Server.Auth;
using ChatPersistence.Samples.Server.Chat;
using ChatPersistence.Samples.Server.Limits;
using ChatPersistence.Sdk;
using ChatPersistence.Sdk.Export;
using ChatPersistence.Sdk.Export.Pdf;

namespace ChatPersistence.Samples.Server.Api;

/// <summary>The HTTP API under <c>/api</c> (every route needs a valid access token; the user is the token's <c>sub</c>).</summary>
internal static class ChatApi
{
    public static void MapChatApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").RequireAuthorization().RequireRateLimiting(ChatRateLimiting.ApiPolicy).WithTags("Chat");

        api.MapGet("/workflows/{workflowId}/messages", async (string workflowId, string? before, int? limit, ClaimsPrincipal user, IChatSessionStore store, CancellationToken ct) =>
        {
            var session = await store.GetOrCreateSessionAsync(User(user), workflowId, workflowId, ct);
            var page = await store.GetMessagesAsync(User(user), session.Id, new ChatHistoryRequest { Cursor = before, PageSize = limit ?? 50 }, ct);
            return Results.Ok(new { sessionId = session.Id, workflowId, messages = page.Messages.Select(MessageDto.From), hasOlder = page.HasOlder, olderCursor = page.OlderCursor });
        }).WithSummary("A page of a workflow's history, oldest first; pass olderCursor as before= for the previous page.");

        api.MapGet("/sessions", async (string? cursor, int? limit, ClaimsPrincipal user, IChatSessionStore store, CancellationToken ct) =>
        {
            var page = await store.ListSessionsAsync(User(user), new ChatListRequest { Cursor = cursor, PageSize = limit ?? 20 }, ct);
            return Results.Ok(new { items = page.Items, nextCursor = page.NextCursor });
        }).WithSummary("The user's sessions, most recently active first.");

        api.MapGet("/search", async (string q, string? workflowId, string? cursor, int? limit, ClaimsPrincipal user, IChatSessionStore store, CancellationToken ct) =>
        {
            Guid? sessionId = workflowId is { Length: > 0 } ? (await store.GetOrCreateSessionAsync(User(user), workflowId, workflowId, ct)).Id : null;
            var page = await store.SearchAsync(User(user), new ChatSearchRequest(q) { SessionId = sessionId, Cursor = cursor, PageSize = limit ?? 20 }, ct);
            return Results.Ok(new
            {
                items = page.Items.Select(h => new { message = MessageDto.From(h.Message), h.WorkflowId, h.Snippet, highlights = h.Highlights.Select(s => new { s.Start, s.Length }) }),
                nextCursor = page.NextCursor,
            });
        }).WithSummary("Whole-word, case- and accent-insensitive search; highlights are character spans of the snippet.");

        api.MapPut("/messages/{id:guid}/favorite", async (Guid id, ClaimsPrincipal user, IChatSessionStore store, CancellationToken ct) =>
            Results.Ok(MessageDto.From(await store.SetFavoriteAsync(User(user), id, true, ct)))).WithSummary("Marks a message as a favourite.");

        api.MapDelete("/messages/{id:guid}/favorite", async (Guid id, ClaimsPrincipal user, IChatSessionStore store, CancellationToken ct) =>
            Results.Ok(MessageDto.From(await store.SetFavoriteAsync(User(user), id, false, ct)))).WithSummary("Removes a message from the favourites.");

        api.MapGet("/favorites", async (string? cursor, int? limit, ClaimsPrincipal user, IChatSessionStore store, CancellationToken ct) =>
        {
            var page = await store.ListFavoritesAsync(User(user), new ChatFavoritesRequest { Cursor = cursor, PageSize = limit ?? 50 }, ct);
            return Results.Ok(new { items = page.Items.Select(MessageDto.From), nextCursor = page.NextCursor });
        }).WithSummary("The user's favourite messages, newest first.");

        api.MapGet("/workflows/{workflowId}/export/{format}", async (string workflowId, string format, ClaimsPrincipal user, IChatSessionStore store, HttpContext http, CancellationToken ct) =>
        {
            var (contentType, extension, textual) = format.ToLowerInvariant() switch
            {
                "txt" => ("text/plain; charset=utf-8", "txt", (ChatExportFormat?)ChatExportFormat.Text),
                "md" => ("text/markdown; charset=utf-8", "md", ChatExportFormat.Markdown),
                "json" => ("application/json", "json", ChatExportFormat.Json),
                "pdf" => ("application/pdf", "pdf", null),
                _ => throw new ArgumentException("format must be txt, md, json or pdf."),
            };
            var session = await store.GetOrCreateSessionAsync(User(user), workflowId, workflowId, ct);
            var buffer = new MemoryStream();
            var options = new ChatExportOptions();
            _ = textual is { } kind
                ? await store.ExportAsync(User(user), session.Id, kind, buffer, options, ct)
                : await store.ExportPdfAsync(User(user), session.Id, buffer, options, ct);
            buffer.Position = 0;
            return Results.File(buffer, contentType, $"{Safe(workflowId)}.{extension}");
        }).WithSummary("Downloads the workflow's history as txt, md, json or pdf.");

        api.MapDelete("/workflows/{workflowId}/messages", async (string workflowId, ClaimsPrincipal user, IChatSessionStore store, CancellationToken ct) =>
        {
            var session = await store.GetOrCreateSessionAsync(User(user), workflowId, workflowId, ct);
            return Results.Ok(new { deleted = await store.ClearSessionAsync(User(user), session.Id, ct) });
        }).WithSummary("Clears a workflow's chat (the session stays).");

        api.MapDelete("/workflows/{workflowId}", async (string workflowId, ClaimsPrincipal user, IChatSessionStore store, CancellationToken ct) =>
        {
            var session = await store.GetOrCreateSessionAsync(User(user), workflowId, workflowId, ct);
            return await store.DeleteSessionAsync(User(user), session.Id, ct) ? Results.NoContent() : Results.NotFound();
        }).WithSummary("Deletes a workflow's session and all its messages.");
    }

    private static string User(ClaimsPrincipal user) => ChatUser.Id(user);

    private static string Safe(string name) => string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
}
