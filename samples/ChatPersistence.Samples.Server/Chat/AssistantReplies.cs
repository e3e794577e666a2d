using System.Diagnostics;
using System.Net.WebSockets;
using System.Text.Json;
using ChatPersistence.Sdk;
using ChatPersistence.Sdk.ChangeFeed;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace ChatPersistence.Samples.Server.Chat;

/// <summary>
/// Generates the assistant's replies, each stored while it streams through a <see cref="ChatReplyWriter"/>: begun right after
/// the question is stored (<c>assistant.start</c> with the stored streaming row), grown as the model's text comes
/// (<c>assistant.delta</c> to every socket of the user on this instance; other instances see <c>reply.grew</c> from the
/// change feed), and ended complete — or stopped with the text so far when someone presses Stop on any instance (this one
/// at once, another one through the store: the writer learns it from the feed's <c>ReplyStopRequested</c>, or its next flush).
/// The generation does not belong to the socket that asked: a refreshed or closed tab does not stop it.
/// </summary>
internal sealed class AssistantReplies(IChatSessionStore store, IChatClient assistant, LiveReplies live, IOptions<ChatSocketOptions> options, LogThrottle throttle, ILogger<AssistantReplies> logger, IHostApplicationLifetime lifetime, IChatChangeFeed? feed = null)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly TimeSpan SendTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Begins the reply <paramref name="replyId"/> in the session (after reading the context) and generates it in the
    /// background. A reply with that id already stored is not generated again: its current state is sent instead.
    /// With <paramref name="questionId"/> (an edited question, or regenerate), the reply is begun under that question
    /// (<see cref="NewChatReply.ParentId"/>: another version beside the answers it already has) and the model sees the
    /// conversation down to it; without it, the reply continues the active path.
    /// </summary>
    public async Task StartAsync(string userId, Guid sessionId, Guid replyId, CancellationToken cancellation, Guid? questionId = null)
    {
        var recent = await store.GetMessagesAsync(userId, sessionId, new ChatHistoryRequest { PageSize = options.Value.ContextMessages, LeafId = questionId }, cancellation);
        var existing = recent.Messages.FirstOrDefault(m => m.Id == replyId);
        if (questionId is not null && existing is null)
        {
            // Not on the path to the question (it is under it): a re-sent edit or regenerate finds it by reading its own path.
            try
            {
                var own = await store.GetMessagesAsync(userId, sessionId, new ChatHistoryRequest { PageSize = 1, LeafId = replyId }, cancellation);
                existing = own.Messages.FirstOrDefault(m => m.Id == replyId);
            }
            catch (ChatNotFoundException)
            {
                // A new reply.
            }
        }

        if (existing is not null)
        {
            // A re-sent question (its acknowledgement was lost) or a repeated retry: the reply exists, streaming here or elsewhere, or ended.
            var frame = existing.Status == ChatReplyStatus.Streaming ? "assistant.start" : "assistant.end";
            await live.BroadcastAsync(userId, sessionId, new { type = frame, message = MessageDto.From(existing) }, cancellation);
            return;
        }

        var context = recent.Messages
            .Where(m => m.Status != ChatReplyStatus.Streaming)
            .Select(m => new ChatMessage(m.Role == ChatMessageRole.Assistant ? ChatRole.Assistant : ChatRole.User, m.Content))
            .ToList();
        // With the feed, the writer learns a stop requested on another instance at once (else at its next flush).
        var writer = await ChatReplyWriter.StartAsync(store, userId, sessionId, new NewChatReply { Id = replyId, ParentId = questionId }, new ChatReplyWriterOptions { ChangeFeed = feed }, cancellation);
        var stop = new CancellationTokenSource();
        live.Started(replyId, stop);
        await live.BroadcastAsync(userId, sessionId, new { type = "assistant.start", message = MessageDto.From(writer.Message) }, cancellation);
        _ = Task.Run(() => GenerateAsync(userId, sessionId, writer, context, stop), CancellationToken.None);
    }

    /// <summary>Stops a reply: recorded in the store (its writer, on any instance, ends it as stopped) and, when generated here, at once.</summary>
    public async Task<StoredChatMessage> StopAsync(string userId, Guid replyId, CancellationToken cancellation)
    {
        var stopped = await store.StopReplyAsync(userId, replyId, cancellation);
        live.TryStop(replyId);
        return stopped;
    }

    private async Task GenerateAsync(string userId, Guid sessionId, ChatReplyWriter writer, List<ChatMessage> context, CancellationTokenSource stop)
    {
        var replyId = writer.Message.Id;
        var clock = Stopwatch.StartNew();
        string? model = null;
        UsageDetails? usage = null;
        StoredChatMessage? final = null;
        try
        {
            await using (writer)
            {
                using var ending = CancellationTokenSource.CreateLinkedTokenSource(stop.Token, writer.StopRequested, lifetime.ApplicationStopping);
                try
                {
                    await foreach (var update in assistant.GetStreamingResponseAsync(context, cancellationToken: ending.Token))
                    {
                        model ??= update.ModelId;
                        usage = update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details ?? usage;
                        if (update.Text is { Length: > 0 } delta)
                        {
                            var offset = writer.Length;
                            writer.Append(delta);
                            await SendAsync(userId, sessionId, new { type = "assistant.delta", id = replyId, offset, text = delta });
                        }
                    }

                    final = await writer.CompleteAsync(Metadata(model, clock, usage));
                }
                catch (OperationCanceledException) when (ending.IsCancellationRequested)
                {
                    final = stop.IsCancellationRequested || writer.StopRequested.IsCancellationRequested
                        ? await writer.EndAsync(ChatReplyStatus.Stopped, ChatReplyReason.StopRequested, metadata: Metadata(model, clock, usage))
                        : await writer.EndAsync(ChatReplyStatus.Interrupted, ChatReplyReason.Failed, "The server stopped.", Metadata(model, clock, usage));
                }
                catch (Exception ex) when (ex is not ChatNotFoundException and not ChatPersistenceException)
                {
                    // The model failed: the reply keeps its text, marked interrupted (the detail names the error's type, never its message).
                    Log("assistant_failed", ex);
                    final = await writer.EndAsync(ChatReplyStatus.Interrupted, ChatReplyReason.Failed, $"The assistant failed ({ex.GetType().Name}).", Metadata(model, clock, usage));
                }
            }
        }
        catch (ChatNotFoundException)
        {
            // The chat was cleared or deleted while the reply streamed: it went with it (the sockets got a snapshot).
        }
        catch (Exception ex) when (ex is ChatPersistenceException or WebSocketException or OperationCanceledException or InvalidOperationException)
        {
            Log("reply_failed", ex);
        }
        finally
        {
            live.Ended(replyId);
            stop.Dispose();
        }

        if (final is not null)
        {
            await SendAsync(userId, sessionId, new { type = "assistant.end", message = MessageDto.From(final) });
        }
    }

    private async Task SendAsync(string userId, Guid sessionId, object frame)
    {
        using var timeout = new CancellationTokenSource(SendTimeout);
        await live.BroadcastAsync(userId, sessionId, frame, timeout.Token);
    }

    private static JsonElement Metadata(string? model, Stopwatch clock, UsageDetails? usage) => JsonSerializer.SerializeToElement(new
    {
        model,
        durationMs = (long)clock.Elapsed.TotalMilliseconds,
        usage = usage is null ? null : new { input = usage.InputTokenCount, output = usage.OutputTokenCount, total = usage.TotalTokenCount },
    }, Json);

    private void Log(string code, Exception ex)
    {
        if (throttle.TryAcquire("replies", code, out var suppressed))
        {
            ServerLog.FrameFailed(logger, code, ex.GetType().Name, "-", suppressed);
        }
    }
}
