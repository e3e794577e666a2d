using System.Diagnostics;
using System.Security.Claims;
using System.Text;
using ChatPersistence.Samples.Server.Auth;
using ChatPersistence.Samples.Server.Chat;
using ChatPersistence.Samples.Server.Limits;
using ChatPersistence.Sdk;
using ChatPersistence.Sdk.Export;
using ChatPersistence.Sdk.Export.Pdf;
using Microsoft.Extensions.Options;

namespace ChatPersistence.Samples.Server.Api;

/// <summary>The HTTP API under <c>/api</c> (every route needs a valid access token; the user is the token's <c>sub</c>).</summary>
internal static class ChatApi
{
    public static void MapChatApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").RequireAuthorization().RequireRateLimiting(ChatRateLimiting.ApiPolicy).WithTags("Chat");

        api.MapGet("/workflows/{workflowId}/messages", async (string workflowId, string? before, int? limit, ClaimsPrincipal user, IChatSessionStore store, HttpContext http, CancellationToken ct) =>
        {
            workflowId = WorkflowSessions.WorkflowId(http, workflowId);
            var request = new ChatHistoryRequest { Cursor = before, PageSize = limit ?? 50 };
            if (await WorkflowSessions.FindAsync(store, User(user), workflowId, ct) is not { } session)
            {
                // An unknown workflow reads as empty and nothing is written (the session is made by the first message).
                if (request.PageSize is < 1 or > ChatPersistenceLimits.MaxPageSize)
                {
                    throw new ArgumentException($"limit must be 1 to {ChatPersistenceLimits.MaxPageSize}.");
                }

                return Results.Ok(new { sessionId = (Guid?)null, workflowId, messages = Array.Empty<MessageDto>(), siblings = Array.Empty<SiblingDto>(), hasOlder = false, olderCursor = (string?)null });
            }

            var page = await store.GetMessagesAsync(User(user), session.Id, request, ct);
            return Results.Ok(new { sessionId = (Guid?)session.Id, workflowId, messages = page.Messages.Select(MessageDto.From), siblings = MessageDto.Siblings(page), hasOlder = page.HasOlder, olderCursor = page.OlderCursor });
        }).WithSummary("A page of a workflow's history (its active path), oldest first, with siblings: the position among its versions of each message that has others; pass olderCursor as before= for the previous page. An unknown workflow is empty.");

        api.MapGet("/messages/{id:guid}/versions", async (Guid id, ClaimsPrincipal user, IChatSessionStore store, CancellationToken ct) =>
        {
            var versions = await store.GetSiblingsAsync(User(user), id, ct);
            return Results.Ok(new
            {
                versions.SessionId,
                versions.ParentId,
                versions.Index,
                versions.ActiveIndex,
                versions = versions.Versions.Select(v => new { v.Id, v.Sequence, role = v.Role.ToString().ToLowerInvariant(), v.CreatedAt, status = MessageDto.StatusName(v.Status) }),
            });
        }).WithSummary("The versions of a message (the children of its parent, oldest first), its index among them and the index of the one on the active path (-1: none). Another user's or an unknown id is 404.");

        api.MapPost("/workflows/{workflowId}/switch", async (string workflowId, SwitchRequest request, ClaimsPrincipal user, IChatSessionStore store, HttpContext http, CancellationToken ct) =>
        {
            workflowId = WorkflowSessions.WorkflowId(http, workflowId);
            var messageId = request.MessageId is { } given && given != Guid.Empty ? given : throw new ArgumentException("messageId is required (a version of the message to show).");
            var session = await WorkflowSessions.FindAsync(store, User(user), workflowId, ct)
                ?? throw new ChatNotFoundException($"There is no chat for workflow '{workflowId}'.");
            var path = request.Index is { } index
                ? await store.SwitchVersionAsync(User(user), session.Id, messageId, index, ct)
                : await store.SwitchBranchAsync(User(user), session.Id, messageId, ct);
            return Results.Ok(new { path.SessionId, path.LeafId, path.LeafSequence, path.ForkSequence, path.Changed });
        }).WithSummary("Shows another version: the active path goes through messageId (or the version at index among messageId's versions) down to the leaf last active beneath it; every tab follows (a path frame). A message of another workflow or user is 404, nothing written.");

        api.MapGet("/sessions", async (string? cursor, int? limit, ClaimsPrincipal user, IChatSessionStore store, CancellationToken ct) =>
        {
            var page = await store.ListSessionsAsync(User(user), new ChatListRequest { Cursor = cursor, PageSize = limit ?? 20 }, ct);
            return Results.Ok(new { items = page.Items, nextCursor = page.NextCursor });
        }).WithSummary("The user's sessions, most recently active first.");

        api.MapGet("/search", async (string q, string? workflowId, string? cursor, int? limit, ClaimsPrincipal user, IChatSessionStore store, CancellationToken ct) =>
        {
            Guid? sessionId = null;
            if (workflowId is { Length: > 0 })
            {
                if (await WorkflowSessions.FindAsync(store, User(user), workflowId, ct) is not { } session)
                {
                    if (string.IsNullOrWhiteSpace(q) || q.Length > ChatPersistenceLimits.MaxSearchQueryLength)
                    {
                        throw new ArgumentException($"q must be 1 to {ChatPersistenceLimits.MaxSearchQueryLength} characters.");
                    }

                    return Results.Ok(new { items = Array.Empty<object>(), nextCursor = (string?)null });
                }

                sessionId = session.Id;
            }

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

        api.MapGet("/messages/{id:guid}/text", async (Guid id, long? offset, ClaimsPrincipal user, IChatSessionStore store, CancellationToken ct) =>
        {
            var text = await store.ReadReplyAsync(User(user), id, offset ?? 0, ct);
            return Results.Ok(new
            {
                id = text.MessageId,
                offset = text.Offset,
                text = text.Text,
                length = text.Length,
                status = MessageDto.StatusName(text.Status),
                reason = MessageDto.ReasonName(text.Reason),
                leaseExpiresAt = text.LeaseExpiresAt,
            });
        }).RequireRateLimiting(ChatRateLimiting.ReplyReadsPolicy).WithSummary("A reply's text after offset (UTF-16 code units the client already shows), with its stored length, status, reason and lease: how a tab follows a reply streamed on another instance (reply.grew) or catches up after a refresh.");

        api.MapPost("/messages/{id:guid}/stop", async (Guid id, ClaimsPrincipal user, AssistantReplies replies, CancellationToken ct) =>
            Results.Ok(MessageDto.From(await replies.StopAsync(User(user), id, ct))))
            .WithSummary("Stops a reply being generated, on whichever instance generates it; it ends as stopped with the text so far. An ended reply is returned unchanged.");

        api.MapGet("/favorites", async (string? cursor, int? limit, ClaimsPrincipal user, IChatSessionStore store, CancellationToken ct) =>
        {
            var page = await store.ListFavoritesAsync(User(user), new ChatFavoritesRequest { Cursor = cursor, PageSize = limit ?? 50 }, ct);
            return Results.Ok(new { items = page.Items.Select(MessageDto.From), nextCursor = page.NextCursor });
        }).WithSummary("The user's favourite messages, newest first.");

        api.MapGet("/workflows/{workflowId}/export/{format}", async (string workflowId, string format, ClaimsPrincipal user, IChatSessionStore store, IOptions<LimitsOptions> limits, PdfExportLimiter pdfLimits, HttpContext http, CancellationToken ct) =>
        {
            workflowId = WorkflowSessions.WorkflowId(http, workflowId);
            var (contentType, extension, textual) = format.ToLowerInvariant() switch
            {
                "txt" => ("text/plain; charset=utf-8", "txt", (ChatExportFormat?)ChatExportFormat.Text),
                "md" => ("text/markdown; charset=utf-8", "md", ChatExportFormat.Markdown),
                "json" => ("application/json; charset=utf-8", "json", ChatExportFormat.Json),
                "pdf" => ("application/pdf", "pdf", null),
                _ => throw new ArgumentException("format must be txt, md, json or pdf."),
            };
            var session = await WorkflowSessions.FindAsync(store, User(user), workflowId, ct)
                ?? throw new ChatNotFoundException($"There is no chat for workflow '{workflowId}' yet: nothing to export.");
            var fileName = $"{Safe(workflowId)}.{extension}";
            if (textual is { } kind)
            {
                // Written as it is read: a page of messages at a time goes to the response, never the whole file in memory
                // (10 a page: messages may be up to 1 MiB each).
                return Results.Stream(body => store.ExportAsync(User(user), session.Id, kind, body, new ChatExportOptions { PageSize = 10 }, ct), contentType, fileName);
            }

            // PDFsharp builds the document in memory, so the PDF has a cap on the text it renders and a time limit; it stops
            // when the client leaves. The finished file is then copied to the response.
            var (lease, refusal, retryAfter) = await pdfLimits.AcquireAsync(User(user), ct);
            if (lease is null)
            {
                http.Response.Headers.RetryAfter = retryAfter;
                return Results.Problem(statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests", detail: refusal, type: "https://httpstatuses.io/429");
            }

            using var held = lease;
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var started = Stopwatch.GetTimestamp();
            deadline.CancelAfter(limits.Value.PdfExportTimeout);
            var pdf = new MemoryStream();
            try
            {
                // Too large is known from reading alone (fast): say so before rendering, not after the time limit.
                await EnsurePdfSizeAsync(store, User(user), session.Id, limits.Value.MaxPdfExportBytes, deadline.Token);
                await new CappedExportStore(store, limits.Value.MaxPdfExportBytes, started, limits.Value.PdfExportTimeout).ExportPdfAsync(User(user), session.Id, pdf, new ChatExportOptions { PageSize = 20 }, deadline.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new TimeoutException($"The PDF export took longer than {limits.Value.PdfExportTimeout.TotalSeconds:0.#} s and was stopped. Export as txt, md or json, which stream.");
            }

            pdf.Position = 0;
            return Results.File(pdf, contentType, fileName);
        }).WithSummary("Downloads the workflow's history as txt, md or json (streamed) or pdf (size-capped).");

        api.MapDelete("/workflows/{workflowId}/messages", async (string workflowId, ClaimsPrincipal user, IChatSessionStore store, HttpContext http, CancellationToken ct) =>
        {
            workflowId = WorkflowSessions.WorkflowId(http, workflowId);
            var session = await WorkflowSessions.FindAsync(store, User(user), workflowId, ct);
            return Results.Ok(new { deleted = session is null ? 0 : await store.ClearSessionAsync(User(user), session.Id, ct) });
        }).WithSummary("Clears a workflow's chat (the session stays).");

        api.MapDelete("/workflows/{workflowId}", async (string workflowId, ClaimsPrincipal user, IChatSessionStore store, HttpContext http, CancellationToken ct) =>
        {
            workflowId = WorkflowSessions.WorkflowId(http, workflowId);
            var session = await WorkflowSessions.FindAsync(store, User(user), workflowId, ct);
            return session is not null && await store.DeleteSessionAsync(User(user), session.Id, ct) ? Results.NoContent() : Results.NotFound();
        }).WithSummary("Deletes a workflow's session and all its messages.");
    }

    private static string User(ClaimsPrincipal user) => ChatUser.Id(user);

    // Reads the history (10 messages a page: a message may be 1 MiB) and counts its text as CappedExportStore does, stopping
    // with ExportTooLargeException as soon as it passes the cap.
    private static async Task EnsurePdfSizeAsync(IChatSessionStore store, string userId, Guid sessionId, long maxBytes, CancellationToken cancellationToken)
    {
        long bytes = 0;
        await foreach (var message in store.StreamMessagesAsync(userId, sessionId, ChatHistoryStart.Oldest, pageSize: 10, cancellationToken))
        {
            bytes += Encoding.UTF8.GetByteCount(message.Content) + (message.Metadata.ValueKind == System.Text.Json.JsonValueKind.Undefined ? 0 : message.Metadata.GetRawText().Length);
            if (bytes > maxBytes)
            {
                throw new ExportTooLargeException(maxBytes);
            }
        }
    }

    private static string Safe(string name) => string.Concat(name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
}
