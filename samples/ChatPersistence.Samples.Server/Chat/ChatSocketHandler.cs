using System.Buffers;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChatPersistence.Samples.Server.Auth;
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
internal sealed class ChatSocketHandler(IChatSessionStore store, IChatClient assistant, IOptions<ChatSocketOptions> options, ILogger<ChatSocketHandler> logger)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task HandleAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            await Results.Problem(statusCode: 400, title: "WebSocket required", detail: "Connect with a WebSocket to /ws/chat?workflowId=<id>.").ExecuteAsync(context);
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
        var session = await store.GetOrCreateSessionAsync(userId, workflowId, workflowId, cancellation);
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        var page = await store.GetMessagesAsync(userId, session.Id, new ChatHistoryRequest { PageSize = 50 }, cancellation);
        await SendAsync(socket, new
        {
            type = "history",
            workflowId,
            sessionId = session.Id,
            messages = page.Messages.Select(MessageDto.From),
            hasOlder = page.HasOlder,
            olderCursor = page.OlderCursor,
        }, cancellation);

        var buffer = new byte[options.Value.MaxFrameBytes];
        while (socket.State == WebSocketState.Open && !cancellation.IsCancellationRequested)
        {
            var (kind, length, tooLarge) = await ReceiveAsync(socket, buffer, cancellation);
            if (kind == WebSocketMessageType.Close)
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
                return;
            }

            if (tooLarge)
            {
                await ErrorAsync(socket, "too_large", $"Frames are limited to {options.Value.MaxFrameBytes} bytes.", null, cancellation);
                continue;
            }

            JsonObject? frame;
            try
            {
                frame = JsonNode.Parse(buffer.AsSpan(0, length)) as JsonObject;
            }
            catch (JsonException)
            {
                frame = null;
            }

            if (frame is null)
            {
                await ErrorAsync(socket, "bad_json", "A frame must be one JSON object.", null, cancellation);
                continue;
            }

            try
            {
                await HandleFrameAsync(socket, frame, userId, session, cancellation);
            }
            catch (ArgumentException ex)
            {
                await ErrorAsync(socket, "invalid", ex.Message, Id(frame), cancellation);
            }
            catch (ChatConflictException ex)
            {
                await ErrorAsync(socket, "conflict", ex.Message, Id(frame), cancellation);
            }
            catch (ChatPersistenceException ex)
            {
                ServerLog.FrameFailed(logger, ex);
                await ErrorAsync(socket, ex.IsTransient ? "unavailable" : "failed", "The message could not be saved; retry it.", Id(frame), cancellation);
            }
        }
    }

    private async Task HandleFrameAsync(WebSocket socket, JsonObject frame, string userId, ChatSession session, CancellationToken cancellation)
    {
        switch (frame["type"]?.GetValue<string>())
        {
            case "ping":
                await SendAsync(socket, new { type = "pong" }, cancellation);
                return;
            case "send":
                break;
            default:
                await ErrorAsync(socket, "unknown_type", "Frame types: send, ping.", Id(frame), cancellation);
                return;
        }

        var id = Id(frame) ?? throw new ArgumentException("send needs an id (a UUID the client generates, so a retry cannot duplicate).");
        var content = frame["content"]?.GetValue<string>() ?? throw new ArgumentException("send needs content.");
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

    internal static Guid ReplyId(Guid questionId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes("reply:" + questionId.ToString("N")));
        hash[6] = (byte)((hash[6] & 0x0F) | 0x80);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }

    private static Guid? Id(JsonObject frame) =>
        frame["id"] is JsonValue value && value.TryGetValue<string>(out var text) && Guid.TryParse(text, out var id) && id != Guid.Empty ? id : null;

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
