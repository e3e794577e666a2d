using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net.WebSockets;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ChatPersistence.Samples.Server.Api;
using ChatPersistence.Samples.Server.Auth;
using ChatPersistence.Samples.Server.Limits;
using ChatPersistence.Samples.Server.Web;
using ChatPersistence.Sdk;
using ChatPersistence.Sdk.ChangeFeed;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace ChatPersistence.Samples.Server.Chat;

/// <summary>
/// One chat connection: <c>/ws/chat?workflowId=…</c>. On connect it sends the workflow's newest history page; then, for
/// each <c>send</c> frame, it persists the user message, acknowledges it (<c>saved</c>, after the commit) and starts the
/// assistant's reply, stored while it streams (<see cref="AssistantReplies"/>: <c>assistant.start</c>, <c>assistant.delta</c>,
/// <c>assistant.end</c>); <c>stop</c> stops a reply generated on any instance, <c>retry</c> answers again after a stopped or
/// interrupted one. The protocol is documented in docs/server-sample.md. Frames are handled one at a time per connection
/// (a reply is generated beside them). Beside the frames, the socket is
/// kept live from the store's change feed (<see cref="ChatLiveUpdates"/>): what other tabs or server instances save for the
/// same user and workflow arrives as <c>message</c>, <c>snapshot</c> and <c>favorite</c> frames; a reconnecting client
/// passes <c>after</c> (its last sequence) and gets what it missed.
/// </summary>
internal sealed class ChatSocketHandler(IChatSessionStore store, AssistantReplies replies, LiveReplies live, IOptions<ChatSocketOptions> options, SendLimiter limits, LogThrottle throttle, ILogger<ChatSocketHandler> logger, IHostApplicationLifetime lifetime, IChatChangeFeed? feed = null)
{
    /// <summary>The close status of a socket whose access token expired (private range; mirrors HTTP 401): reconnect with a fresh token.</summary>
    public const WebSocketCloseStatus TokenExpiredCloseStatus = (WebSocketCloseStatus)4401;

    private const int HistoryPageSize = 50;

    // A reconnect reads back at most this many pages to find the client's last message; further behind, it gets the newest page.
    private const int MaxCatchUpPages = 4;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    // Strict reading of client frames: duplicate keys are refused (not last-wins), a wrong JSON type is an error.
    private static readonly JsonSerializerOptions FrameJson = new(JsonSerializerDefaults.Web) { AllowDuplicateProperties = false };

    public async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await Results.Problem(statusCode: 400, title: "WebSocket required", detail: "Connect with a WebSocket to /ws/chat?workflowId=<id>.").ExecuteAsync(context);
            return;
        }

        if (!OriginCheck.IsAllowed(context.Request, options.Value))
        {
            await Results.Problem(statusCode: 403, title: "Origin not allowed", detail: "This WebSocket accepts pages of its own origin and of Chat:AllowedOrigins only.").ExecuteAsync(context);
            return;
        }

        var workflowId = context.Request.Query["workflowId"].ToString();
        if (string.IsNullOrWhiteSpace(workflowId) || workflowId.Length > ChatPersistenceLimits.MaxWorkflowIdLength)
        {
            await Results.Problem(statusCode: 400, title: "Invalid workflowId", detail: "workflowId is required (1-256 characters).").ExecuteAsync(context);
            return;
        }

        long? after = null;
        if (context.Request.Query.TryGetValue("after", out var afterValue))
        {
            if (!long.TryParse(afterValue.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var known))
            {
                await Results.Problem(statusCode: 400, title: "Invalid after", detail: "after is the sequence of the last message the client has (a non-negative integer).").ExecuteAsync(context);
                return;
            }

            after = known;
        }

        var userId = ChatUser.Id(context.User);
        var cancellation = context.RequestAborted;
        // Connecting reads only: the session is created by the first message sent, so opening sockets on made-up workflows writes nothing.
        var found = await WorkflowSessions.FindAsync(store, userId, workflowId, cancellation);
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        using var connection = new ChatConnection(socket, userId, workflowId) { Session = found };
        using var registered = live.Register(connection);
        var updates = new ChatLiveUpdates(store, connection, live);
        updates.Start(found?.Id, await SendHistoryAsync(connection, found, after, cancellation));

        // Live updates (other tabs, other instances) run beside the frame loop; both write through the connection, one frame at a time.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var following = feed is null ? Task.CompletedTask : RunLiveUpdatesAsync(updates, feed, connection, stop.Token);
        // Draining: when the server stops, each socket is closed with 1001 (going away) so its client reconnects to another
        // instance at once (and catches up), instead of waiting for the host's shutdown timeout.
        using var draining = lifetime.ApplicationStopping.Register(() => _ = connection.CloseOutputAsync(WebSocketCloseStatus.EndpointUnavailable, "server stopping"));
        // A socket lives no longer than the token that opened it: at the token's exp it is closed with TokenExpiredCloseStatus
        // (4401), so the client reconnects with a fresh token — and a revoked user's next token is refused.
        using var expiry = new CancellationTokenSource(TokenLifetime(context.User));
        using var expiring = expiry.Token.Register(() => _ = connection.CloseOutputAsync(TokenExpiredCloseStatus, "token expired"));
        // One byte more than the limit, so a frame of exactly MaxFrameBytes is read whole and only a larger one is refused.
        var maxFrameBytes = options.Value.MaxFrameBytes;
        var buffer = new byte[maxFrameBytes + 1];
        var closeReceived = false;
        try
        {
            while (socket.State == WebSocketState.Open && !cancellation.IsCancellationRequested)
            {
                var (kind, length, tooLarge) = await ReceiveAsync(socket, buffer, cancellation);
                if (kind == WebSocketMessageType.Close)
                {
                    closeReceived = true;
                    break;
                }

                await HandleMessageAsync(connection, kind, buffer.AsMemory(0, length), tooLarge || length > maxFrameBytes, cancellation);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The client went away (or the server is stopping): nothing to answer, nothing worth a stack trace.
        }
        finally
        {
            await stop.CancelAsync();
            await following;
        }

        if (closeReceived && socket.State == WebSocketState.CloseReceived)
        {
            try
            {
                await connection.CloseAsync("bye");
            }
            catch (WebSocketException)
            {
            }
        }
    }

    // The connect frame. Without `after`: the newest page. With `after` (a reconnect: the sequence of the last message the
    // client has), older pages are read back (keyset) until that message: if it is still there the frame carries the
    // messages from the newest page's start or that message, whichever is older, with "after" set, and the client merges
    // them into what it has; if it is gone (cleared, deleted, or too far behind), the full newest page replaces the client's.
    // Returns the newest page read, where the live updates start.
    private async Task<ChatMessagePage?> SendHistoryAsync(ChatConnection connection, ChatSession? found, long? after, CancellationToken cancellation)
    {
        var newest = found is null ? null : await store.GetMessagesAsync(connection.UserId, found.Id, new ChatHistoryRequest { PageSize = HistoryPageSize }, cancellation);
        var oldest = newest;
        IReadOnlyList<StoredChatMessage> messages = newest?.Messages ?? [];
        List<SiblingDto> siblings = newest is null ? [] : [.. MessageDto.Siblings(newest)];
        long? resumedAfter = null;
        if (found is not null && newest is not null && after is { } known)
        {
            var collected = new List<StoredChatMessage>(newest.Messages);
            var collectedSiblings = new List<SiblingDto>(siblings);
            var page = newest;
            for (var pages = 1; collected.Count > 0 && collected[0].Sequence > known && page.HasOlder && pages < MaxCatchUpPages; pages++)
            {
                page = await store.GetMessagesAsync(connection.UserId, found.Id, new ChatHistoryRequest { PageSize = HistoryPageSize, Cursor = page.OlderCursor }, cancellation);
                collected.InsertRange(0, page.Messages);
                collectedSiblings.AddRange(MessageDto.Siblings(page));
            }

            if (collected.Exists(m => m.Sequence == known))
            {
                (messages, oldest, resumedAfter, siblings) = (collected, page, known, collectedSiblings);
            }
        }

        await connection.SendAsync(new
        {
            type = "history",
            workflowId = connection.WorkflowId,
            sessionId = found?.Id,
            branches = store.Capabilities.Branches,
            messages = messages.Select(MessageDto.From),
            siblings,
            hasOlder = oldest?.HasOlder ?? false,
            olderCursor = oldest?.OlderCursor,
            after = resumedAfter,
        }, cancellation);
        return newest;
    }

    private async Task RunLiveUpdatesAsync(ChatLiveUpdates live, IChatChangeFeed feed, ChatConnection connection, CancellationToken stop)
    {
        try
        {
            await live.RunAsync(feed, stop);
        }
        catch (Exception ex) when (ex is OperationCanceledException or WebSocketException || stop.IsCancellationRequested)
        {
            // The socket closed.
        }
        catch (Exception ex)
        {
            // Without the feed this socket would silently stop being live: drop it, so the client reconnects and catches up.
            if (throttle.TryAcquire(connection.UserId, "live_updates", out var suppressed))
            {
                ServerLog.FrameFailed(logger, "live_updates", ex.GetType().Name, Reason(ex), suppressed);
            }

            connection.Socket.Abort();
        }
    }

    // Any frame gets an answer and the socket stays open: whatever its JSON shape, a refusal is an error frame and one log line.
    private async Task HandleMessageAsync(ChatConnection connection, WebSocketMessageType kind, ReadOnlyMemory<byte> bytes, bool tooLarge, CancellationToken cancellation)
    {
        if (tooLarge)
        {
            await RefuseAsync(connection, "too_large", $"Frames are limited to {options.Value.MaxFrameBytes} bytes.", null, null, cancellation);
            return;
        }

        ChatFrame? frame = null;
        Exception? parseError = null;
        if (kind == WebSocketMessageType.Text)
        {
            try
            {
                frame = JsonSerializer.Deserialize<ChatFrame>(bytes.Span, FrameJson);
            }
            catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException or NotSupportedException or DecoderFallbackException)
            {
                parseError = ex;
            }
        }

        if (frame is null)
        {
            await RefuseAsync(connection, "bad_json", """A frame is one JSON text object: {"type":"send","id":"<uuid>","content":"<text>"} or {"type":"ping"}.""", null, parseError, cancellation);
            return;
        }

        var id = Guid.TryParse(frame.Id, out var parsed) && parsed != Guid.Empty ? parsed : (Guid?)null;
        try
        {
            await HandleFrameAsync(connection, frame, id, cancellation);
        }
        catch (ArgumentException ex)
        {
            await RefuseAsync(connection, "invalid", UserMessage(ex), id, ex, cancellation);
        }
        catch (ChatNotFoundException ex)
        {
            // An id of another user, another workflow, or one that does not exist: one answer for all (nothing was written).
            await RefuseAsync(connection, "not_found", "That message is not in this chat.", id, ex, cancellation);
        }
        catch (NotSupportedException ex)
        {
            await RefuseAsync(connection, "unsupported", "This server's store does not keep versions of messages.", id, ex, cancellation);
        }
        catch (ChatConflictException ex)
        {
            // One answer for every conflict: the same id re-sent with other content, an id of this user's other workflow, or an id
            // another user's message already has. The store's message ("already stored") would confirm that someone else's id exists.
            await RefuseAsync(connection, "conflict", "This id cannot be used for this message: a re-sent message must be exactly the same; send a new message with a new id.", id, ex, cancellation);
        }
        catch (ChatPersistenceException ex)
        {
            await RefuseAsync(connection, ex.IsTransient ? "unavailable" : "failed", "The message could not be saved; retry it.", id, ex, cancellation);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not WebSocketException)
        {
            await RefuseAsync(connection, "failed", "The frame could not be handled.", id, ex, cancellation);
        }
    }

    private async Task RefuseAsync(ChatConnection connection, string code, string message, Guid? id, Exception? cause, CancellationToken cancellation)
    {
        if (throttle.TryAcquire(connection.UserId, code, out var suppressed))
        {
            ServerLog.FrameFailed(logger, code, cause?.GetType().Name ?? "none", Reason(cause), suppressed);
        }

        await connection.SendAsync(new { type = "error", code, message, id }, cancellation);
    }

    // The first line of the exception's message, without the parameter name, short: never the content, never a stack trace.
    private static string Reason(Exception? cause)
    {
        var text = cause is null ? "-" : UserMessage(cause);
        var line = text.AsSpan();
        var end = line.IndexOfAny('\r', '\n');
        line = end >= 0 ? line[..end] : line;
        return line.Length > 160 ? string.Concat(line[..157], "...") : line.ToString();
    }

    private static string UserMessage(Exception ex) =>
        ex is ArgumentException { ParamName: { } name } ? ex.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal) : ex.Message;

    private async Task HandleFrameAsync(ChatConnection connection, ChatFrame frame, Guid? frameId, CancellationToken cancellation)
    {
        switch (frame.Type)
        {
            case "ping":
                await connection.SendAsync(new { type = "pong" }, cancellation);
                return;
            case "send":
                break;
            case "stop" or "switch" when await limits.TryAcquireControlAsync(connection.UserId, cancellation) is { } controlRefused:
                await RefuseAsync(connection, controlRefused.Code, controlRefused.Message, frameId, null, cancellation);
                return;
            case "stop":
                await StopAsync(connection, frame, cancellation);
                return;
            case "retry":
                await RetryAsync(connection, frame, frameId, cancellation);
                return;
            case "edit":
                await EditAsync(connection, frame, frameId, cancellation);
                return;
            case "regenerate":
                await RegenerateAsync(connection, frame, frameId, cancellation);
                return;
            case "switch":
                await SwitchAsync(connection, frame, cancellation);
                return;
            default:
                await RefuseAsync(connection, "unknown_type", "Frame types: send, edit, regenerate, switch, stop, retry, ping.", frameId, null, cancellation);
                return;
        }

        var id = frameId ?? throw new ArgumentException("send needs an id (a UUID the client generates, so a retry cannot duplicate).");
        var content = frame.Content ?? throw new ArgumentException("send needs content (a string).");
        // parentId: the last message the tab shows. On a store with versions the message goes under it (a tab that still
        // shows another version writes on that one, which becomes active); omitted, or on a store without versions, it
        // continues the active path as before.
        var parentId = frame.ParentId is null ? (Guid?)null : MessageId(frame.ParentId, "parentId must be a message id (a UUID).");
        var message = NewChatMessage.User(content) with { Id = id, ParentId = store.Capabilities.Branches ? parentId : null };
        var userId = connection.UserId;
        if (await limits.TryAcquireAsync(userId, Encoding.UTF8.GetByteCount(content), cancellation) is { } refused)
        {
            await RefuseAsync(connection, refused.Code, refused.Message, id, null, cancellation);
            return;
        }

        // The live updates skip what this socket acknowledges itself (saved): noted before the append, since the feed can
        // report the append before the store call returns here. The reply's frames come from AssistantReplies.
        var replyId = ReplyId(id);
        connection.WillAcknowledge(id);
        connection.WillAcknowledge(replyId);
        var session = connection.Session ?? connection.Adopt(await store.GetOrCreateSessionAsync(userId, connection.WorkflowId, connection.WorkflowId, cancellation));
        StoredChatMessage stored;
        try
        {
            stored = await store.AppendMessageAsync(userId, session.Id, message, cancellation);
        }
        catch (ChatNotFoundException)
        {
            // The session was deleted (from another tab or instance) since this socket learnt it: the workflow starts a new one
            // (the parent went with it). A parent that is not in the session (another user's, cleared) is not_found instead.
            if (message.ParentId is not null && await store.GetSessionAsync(userId, session.Id, cancellation) is not null)
            {
                throw;
            }

            connection.Session = null;
            session = connection.Adopt(await store.GetOrCreateSessionAsync(userId, connection.WorkflowId, connection.WorkflowId, cancellation));
            stored = await store.AppendMessageAsync(userId, session.Id, message with { ParentId = null }, cancellation);
        }

        await connection.SendAsync(new { type = "saved", id = stored.Id, sequence = stored.Sequence, createdAt = stored.CreatedAt }, cancellation);

        // The reply's id follows from the question's, so a re-sent question (lost acknowledgement) never gets two replies.
        // It is begun now and generated in the background: the frame loop stays free for stop frames, and a refreshed tab
        // does not end it.
        await replies.StartAsync(userId, session.Id, replyId, cancellation);
    }

    // {"type":"stop","messageId"}: asks the reply to stop wherever it is generated; the reply's end (stopped, with its text)
    // reaches every tab as assistant.end (this instance) or through the feed (others).
    private async Task StopAsync(ChatConnection connection, ChatFrame frame, CancellationToken cancellation)
    {
        var messageId = Guid.TryParse(frame.MessageId, out var parsed) && parsed != Guid.Empty
            ? parsed
            : throw new ArgumentException("stop needs messageId (the id of the reply to stop).");
        var stopped = await replies.StopAsync(connection.UserId, messageId, cancellation);
        await connection.SendAsync(new { type = "stopping", id = messageId, message = MessageDto.From(stopped) }, cancellation);
    }

    // {"type":"retry","id":"<new reply id>","messageId":"<a stopped or interrupted reply>"}: a new reply, appended after the
    // one that did not finish, answering the conversation as it is (the question it answered is the last one asked). The
    // client generates the id, so a re-sent retry starts one reply only.
    private async Task RetryAsync(ChatConnection connection, ChatFrame frame, Guid? frameId, CancellationToken cancellation)
    {
        var id = frameId ?? throw new ArgumentException("retry needs an id (a UUID for the new reply, so a re-sent retry cannot duplicate).");
        var messageId = Guid.TryParse(frame.MessageId, out var parsed) && parsed != Guid.Empty
            ? parsed
            : throw new ArgumentException("retry needs messageId (the stopped or interrupted reply to answer again).");
        var ended = await store.ReadReplyAsync(connection.UserId, messageId, long.MaxValue, cancellation);
        if (ended.Status is not (ChatReplyStatus.Stopped or ChatReplyStatus.Interrupted))
        {
            throw new ArgumentException("Only a stopped or interrupted reply can be retried.");
        }

        var session = connection.Session ?? throw new ChatNotFoundException("This workflow has no chat.");
        connection.WillAcknowledge(id);
        await replies.StartAsync(connection.UserId, session.Id, id, cancellation);
    }

    // {"type":"edit","id":"<new version id>","content","versionOf":"<a user message>"}: a new version of the question under
    // the same parent (AppendVersionAsync: the old one and everything under it stay), acknowledged as `saved`, then answered
    // like a sent message (the reply's id follows from the new version's, so a re-sent edit is stored and answered once).
    // Every tab of the user (this one too) follows the new active path from the feed's ActivePathChanged (a `path` frame).
    private async Task EditAsync(ChatConnection connection, ChatFrame frame, Guid? frameId, CancellationToken cancellation)
    {
        var id = frameId ?? throw new ArgumentException("edit needs an id (a UUID for the new version, so a re-sent edit cannot duplicate).");
        var content = frame.Content ?? throw new ArgumentException("edit needs content (a string).");
        var versionOf = MessageId(frame.VersionOf, "edit needs versionOf (the id of the question to edit).");
        var session = connection.Session ?? throw new ChatNotFoundException("This workflow has no chat.");
        var userId = connection.UserId;
        if (await limits.TryAcquireAsync(userId, Encoding.UTF8.GetByteCount(content), cancellation) is { } refused)
        {
            await RefuseAsync(connection, refused.Code, refused.Message, id, null, cancellation);
            return;
        }

        var replyId = ReplyId(id);
        connection.WillAcknowledge(id);
        connection.WillAcknowledge(replyId);
        // A version has the role of the message it is a version of: an answer cannot be edited into a question (ArgumentException).
        var stored = await store.AppendVersionAsync(userId, session.Id, versionOf, NewChatMessage.User(content) with { Id = id }, cancellation);
        await connection.SendAsync(new { type = "saved", id = stored.Id, sequence = stored.Sequence, createdAt = stored.CreatedAt, parentId = stored.ParentId }, cancellation);
        await replies.StartAsync(userId, session.Id, replyId, cancellation, questionId: stored.Id);
        await SendPathWithoutFeedAsync(connection, session.Id, cancellation);
    }

    // {"type":"regenerate","id":"<new reply id>","questionId":"<a user message>"}: another answer to that question, a new
    // assistant version beside the old ones (which stay), streamed like any reply. Counts as a sent message for the limits.
    private async Task RegenerateAsync(ChatConnection connection, ChatFrame frame, Guid? frameId, CancellationToken cancellation)
    {
        var id = frameId ?? throw new ArgumentException("regenerate needs an id (a UUID for the new reply, so a re-sent regenerate starts one reply).");
        var questionId = MessageId(frame.QuestionId, "regenerate needs questionId (the question to answer again).");
        var session = connection.Session ?? throw new ChatNotFoundException("This workflow has no chat.");
        var userId = connection.UserId;
        var versions = await store.GetSiblingsAsync(userId, questionId, cancellation);
        if (versions.SessionId != session.Id)
        {
            throw ChatNotFoundException.ForMessage(questionId);
        }

        if (versions.Versions[versions.Index].Role != ChatMessageRole.User)
        {
            throw new ArgumentException("questionId must be a question (a user message): regenerate answers it again.");
        }

        if (await limits.TryAcquireAsync(userId, 0, cancellation) is { } refused)
        {
            await RefuseAsync(connection, refused.Code, refused.Message, id, null, cancellation);
            return;
        }

        connection.WillAcknowledge(id);
        await replies.StartAsync(userId, session.Id, id, cancellation, questionId: questionId);
        await SendPathWithoutFeedAsync(connection, session.Id, cancellation);
    }

    // {"type":"switch","messageId","index"}: the active path goes through that version (index among the versions of
    // messageId; omitted: messageId itself) down to the leaf last active beneath it. Answered with a `path` frame; the
    // other tabs (any instance) get theirs from the feed.
    private async Task SwitchAsync(ChatConnection connection, ChatFrame frame, CancellationToken cancellation)
    {
        var messageId = MessageId(frame.MessageId, "switch needs messageId (a version of the message to show).");
        var session = connection.Session ?? throw new ChatNotFoundException("This workflow has no chat.");
        var path = frame.Index is { } index
            ? await store.SwitchVersionAsync(connection.UserId, session.Id, messageId, index, cancellation)
            : await store.SwitchBranchAsync(connection.UserId, session.Id, messageId, cancellation);
        if (feed is null || !path.Changed)
        {
            await SendPathAsync(connection, session.Id, path.LeafId, path.ForkSequence, path.Changed, cancellation);
        }
    }

    // Without a change feed no `path` frame would come: this socket gets one itself (other tabs catch up when they reconnect).
    private Task SendPathWithoutFeedAsync(ChatConnection connection, Guid sessionId, CancellationToken cancellation) =>
        feed is null ? SendPathAsync(connection, sessionId, null, null, true, cancellation) : Task.CompletedTask;

    private async Task SendPathAsync(ChatConnection connection, Guid sessionId, Guid? leafId, long? forkSequence, bool changed, CancellationToken cancellation)
    {
        var page = await store.GetMessagesAsync(connection.UserId, sessionId, new ChatHistoryRequest { PageSize = HistoryPageSize }, cancellation);
        await connection.SendAsync(ChatLiveUpdates.PathFrame(connection.WorkflowId, sessionId, leafId ?? (page.Messages.Count > 0 ? page.Messages[^1].Id : null), forkSequence, changed, page), cancellation);
    }

    private static Guid MessageId(string? value, string missing) =>
        Guid.TryParse(value, out var parsed) && parsed != Guid.Empty ? parsed : throw new ArgumentException(missing);

    // Until the token's exp (at least a moment, so the history frame goes out first); a token without exp is refused by
    // authentication, so the fallback never applies to a real socket.
    private static TimeSpan TokenLifetime(ClaimsPrincipal user)
    {
        if (!long.TryParse(user.FindFirst("exp")?.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var exp))
        {
            return Timeout.InfiniteTimeSpan;
        }

        var left = DateTimeOffset.FromUnixTimeSeconds(exp) - DateTimeOffset.UtcNow;
        return left < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : left > TimeSpan.FromDays(30) ? TimeSpan.FromDays(30) : left;
    }

    internal static Guid ReplyId(Guid questionId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("reply:" + questionId.ToString("N")));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    // Reads one message into `buffer`; a message longer than the buffer is read to its end and discarded (the socket survives).
    private static async Task<(WebSocketMessageType Kind, int Length, bool TooLarge)> ReceiveAsync(WebSocket socket, byte[] buffer, CancellationToken cancellation)
    {
        var length = 0;
        var tooLarge = false;
        byte[]? scratch = null;
        try
        {
            while (true)
            {
                ValueWebSocketReceiveResult result;
                if (!tooLarge && length < buffer.Length)
                {
                    result = await socket.ReceiveAsync(buffer.AsMemory(length), cancellation);
                    length += result.Count;
                }
                else
                {
                    tooLarge = true;
                    scratch ??= ArrayPool<byte>.Shared.Rent(4096);
                    result = await socket.ReceiveAsync(scratch.AsMemory(), cancellation);
                }

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return (WebSocketMessageType.Close, 0, false);
                }

                if (result.EndOfMessage)
                {
                    return (result.MessageType, length, tooLarge);
                }
            }
        }
        finally
        {
            if (scratch is not null)
            {
                ArrayPool<byte>.Shared.Return(scratch);
            }
        }
    }
}
