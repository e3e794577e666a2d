using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ChatPersistence.Samples.Server.Api;
using ChatPersistence.Samples.Server.Auth;
using ChatPersistence.Samples.Server.Limits;
using ChatPersistence.Sdk;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace ChatPersistence.Samples.Server.Chat;

/// <summary>
/// One chat connection: <c>/ws/chat?workflowId=…</c>. On connect it sends the workflow's newest history page; then, for
/// each <c>send</c> frame, it persists the user message, acknowledges it (<c>saved</c>, after the commit), streams the
/// assistant's reply (<c>assistant.delta</c>) and persists it with its metadata (<c>assistant.saved</c>). The protocol is
/// documented in docs/server-sample.md. Frames are handled one at a time per connection.
/// </summary>
internal sealed class ChatSocketHandler(IChatSessionStore store, IChatClient assistant, IOptions<ChatSocketOptions> options, SendLimiter limits, LogThrottle throttle, ILogger<ChatSocketHandler> logger)
{
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

        if (!OriginAllowed(context.Request))
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

        var userId = ChatUser.Id(context.User);
        var cancellation = context.RequestAborted;
        // Connecting reads only: the session is created by the first message sent, so opening sockets on made-up workflows writes nothing.
        var found = await WorkflowSessions.FindAsync(store, userId, workflowId, cancellation);
        var session = new StrongBox<ChatSession?>(found);
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var page = found is null ? null : await store.GetMessagesAsync(userId, found.Id, new ChatHistoryRequest { PageSize = 50 }, cancellation);
        await SendAsync(socket, new
        {
            type = "history",
            workflowId,
            sessionId = found?.Id,
            messages = page?.Messages.Select(MessageDto.From) ?? [],
            hasOlder = page?.HasOlder ?? false,
            olderCursor = page?.OlderCursor,
        }, cancellation);

        var buffer = new byte[options.Value.MaxFrameBytes];
        try
        {
            while (socket.State == WebSocketState.Open && !cancellation.IsCancellationRequested)
            {
                var (kind, length, tooLarge) = await ReceiveAsync(socket, buffer, cancellation);
                if (kind == WebSocketMessageType.Close)
                {
                    await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                    return;
                }

                await HandleMessageAsync(socket, kind, buffer.AsMemory(0, length), tooLarge, userId, workflowId, session, cancellation);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The client went away (or the server is stopping): nothing to answer, nothing worth a stack trace.
        }
    }

    // Any frame gets an answer and the socket stays open: whatever its JSON shape, a refusal is an error frame and one log line.
    private async Task HandleMessageAsync(WebSocket socket, WebSocketMessageType kind, ReadOnlyMemory<byte> bytes, bool tooLarge, string userId, string workflowId, StrongBox<ChatSession?> session, CancellationToken cancellation)
    {
        if (tooLarge)
        {
            await RefuseAsync(socket, "too_large", $"Frames are limited to {options.Value.MaxFrameBytes} bytes.", null, null, cancellation);
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
            await RefuseAsync(socket, "bad_json", """A frame is one JSON text object: {"type":"send","id":"<uuid>","content":"<text>"} or {"type":"ping"}.""", null, parseError, cancellation);
            return;
        }

        var id = Guid.TryParse(frame.Id, out var parsed) && parsed != Guid.Empty ? parsed : (Guid?)null;
        try
        {
            await HandleFrameAsync(socket, frame, id, userId, workflowId, session, cancellation);
        }
        catch (ArgumentException ex)
        {
            await RefuseAsync(socket, "invalid", UserMessage(ex), id, ex, cancellation);
        }
        catch (ChatConflictException ex)
        {
            await RefuseAsync(socket, "conflict", ex.Message, id, ex, cancellation);
        }
        catch (ChatPersistenceException ex)
        {
            await RefuseAsync(socket, ex.IsTransient ? "unavailable" : "failed", "The message could not be saved; retry it.", id, ex, cancellation);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not WebSocketException)
        {
            await RefuseAsync(socket, "failed", "The frame could not be handled.", id, ex, cancellation);
        }
    }

    private async Task RefuseAsync(WebSocket socket, string code, string message, Guid? id, Exception? cause, CancellationToken cancellation)
    {
        if (throttle.TryAcquire(out var suppressed))
        {
            ServerLog.FrameFailed(logger, code, cause?.GetType().Name ?? "none", Reason(cause), suppressed);
        }

        await ErrorAsync(socket, code, message, id, cancellation);
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

    private async Task HandleFrameAsync(WebSocket socket, ChatFrame frame, Guid? frameId, string userId, string workflowId, StrongBox<ChatSession?> sessionBox, CancellationToken cancellation)
    {
        switch (frame.Type)
        {
            case "ping":
                await SendAsync(socket, new { type = "pong" }, cancellation);
                return;
            case "send":
                break;
            default:
                await RefuseAsync(socket, "unknown_type", "Frame types: send, ping.", frameId, null, cancellation);
                return;
        }

        var id = frameId ?? throw new ArgumentException("send needs an id (a UUID the client generates, so a retry cannot duplicate).");
        var content = frame.Content ?? throw new ArgumentException("send needs content (a string).");
        if (limits.TryAcquire(userId, Encoding.UTF8.GetByteCount(content)) is { } refused)
        {
            await RefuseAsync(socket, refused.Code, refused.Message, id, null, cancellation);
            return;
        }

        var session = sessionBox.Value ??= await store.GetOrCreateSessionAsync(userId, workflowId, workflowId, cancellation);
        var stored = await store.AppendMessageAsync(userId, session.Id, NewChatMessage.User(content) with { Id = id }, cancellation);
        await SendAsync(socket, new { type = "saved", id = stored.Id, sequence = stored.Sequence, createdAt = stored.CreatedAt }, cancellation);

        // The reply's id follows from the question's, so a re-sent question (lost acknowledgement) never gets two replies.
        var replyId = ReplyId(stored.Id);
        var recent = await store.GetMessagesAsync(userId, session.Id, new ChatHistoryRequest { PageSize = options.Value.ContextMessages }, cancellation);
        if (recent.Messages.FirstOrDefault(m => m.Id == replyId) is { } existing)
        {
            await SendAsync(socket, new { type = "assistant.saved", message = MessageDto.From(existing) }, cancellation);
            return;
        }

        await SendAsync(socket, new { type = "assistant.start", id = replyId }, cancellation);
        var context = recent.Messages.Select(m => new ChatMessage(m.Role == ChatMessageRole.Assistant ? ChatRole.Assistant : ChatRole.User, m.Content));
        var text = new StringBuilder();
        UsageDetails? usage = null;
        string? model = null;
        var clock = Stopwatch.StartNew();
        await foreach (var update in assistant.GetStreamingResponseAsync(context, cancellationToken: cancellation))
        {
            model ??= update.ModelId;
            usage = update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details ?? usage;
            if (update.Text is { Length: > 0 } delta)
            {
                text.Append(delta);
                await SendAsync(socket, new { type = "assistant.delta", id = replyId, text = delta }, cancellation);
            }
        }

        var metadata = JsonSerializer.SerializeToElement(new
        {
            model,
            durationMs = (long)clock.Elapsed.TotalMilliseconds,
            usage = usage is null ? null : new { input = usage.InputTokenCount, output = usage.OutputTokenCount, total = usage.TotalTokenCount },
        }, Json);
        var reply = await store.AppendMessageAsync(userId, session.Id, NewChatMessage.Assistant(text.ToString(), metadata) with { Id = replyId }, cancellation);
        await SendAsync(socket, new { type = "assistant.saved", message = MessageDto.From(reply) }, cancellation);
    }

    // Same origin by default: the Origin header's scheme://host[:port] must be this request's, or one configured.
    private bool OriginAllowed(HttpRequest request)
    {
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0)
        {
            return true;
        }

        var own = $"{request.Scheme}://{request.Host}";
        return string.Equals(origin, own, StringComparison.OrdinalIgnoreCase)
            || options.Value.AllowedOrigins.Any(allowed => string.Equals(origin, allowed.TrimEnd('/'), StringComparison.OrdinalIgnoreCase));
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

    private static Task ErrorAsync(WebSocket socket, string code, string message, Guid? id, CancellationToken cancellation) =>
        SendAsync(socket, new { type = "error", code, message, id }, cancellation);

    private static async Task SendAsync(WebSocket socket, object frame, CancellationToken cancellation)
    {
        if (socket.State != WebSocketState.Open)
        {
            return;
        }

        var bytes = JsonSerializer.SerializeToUtf8Bytes(frame, Json);
        await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, cancellation);
    }
}
