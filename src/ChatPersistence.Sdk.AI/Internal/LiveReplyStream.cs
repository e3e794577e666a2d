using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.AI.Internal;

/// <summary>
/// Passes a model's streaming updates through unchanged while storing the reply as it streams: the response message that
/// carries the first assistant text is the live reply (<see cref="ChatReplyWriter"/>); the messages before it (tool calls and
/// results, without text) are appended complete first, so the order is today's; its text grows with the updates; the messages
/// after it are appended complete at the end. A stream without text is stored at the end as one response. Ends: completed →
/// <see cref="ChatReplyStatus.Complete"/>; the caller stops reading or cancels → <see cref="ChatReplyStatus.Stopped"/>/
/// <see cref="ChatReplyReason.CallerStopped"/>; the inner stream throws → <see cref="ChatReplyStatus.Interrupted"/>/
/// <see cref="ChatReplyReason.Failed"/> and the exception propagates; a stop requested through the store cancels the inner
/// call and ends the stream normally (<see cref="ChatReplyReason.StopRequested"/>). The one implementation behind
/// <see cref="PersistentChatClient"/> (updates are <see cref="ChatResponseUpdate"/>) and <see cref="PersistentReplyAgent"/>
/// (updates are the agent's, seen through <c>AsChatResponseUpdate()</c>).
/// </summary>
internal static class LiveReplyStream
{
    /// <param name="responses">Where and how the response's messages are stored.</param>
    /// <param name="userId">The owner.</param>
    /// <param name="sessionId">The session the reply goes in (its request is stored already).</param>
    /// <param name="parentId">Tells, when the response's first message is stored, the message it goes under (the last message of
    /// its request, or the question it regenerates); <see langword="null"/>: the active leaf (a store without branches). Asked
    /// late because an agent's history provider stores the request only once the inner run has started.</param>
    /// <param name="writerOptions">The reply writer's options.</param>
    /// <param name="start">Starts the inner stream with the token that a requested stop cancels.</param>
    /// <param name="asChat">How an update reads as a <see cref="ChatResponseUpdate"/>.</param>
    /// <param name="onReplyBegun">Told the id of each live reply when it is begun (before any of its text is stored).</param>
    /// <param name="cancellationToken">The caller's token.</param>
    public static async IAsyncEnumerable<T> StreamAsync<T>(
        ResponseStore responses,
        string userId,
        Guid sessionId,
        Func<Guid?> parentId,
        ChatReplyWriterOptions? writerOptions,
        Func<CancellationToken, IAsyncEnumerable<T>> start,
        Func<T, ChatResponseUpdate> asChat,
        Action<Guid>? onReplyBegun,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var updates = new List<ChatResponseUpdate>();
        var boundaries = new MessageBoundaries();
        var replyIndex = -1;
        ChatReplyWriter? writer = null;
        var ended = false;
        Guid? parent = null;
        using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        CancellationTokenRegistration onStop = default;
        var stream = start(call.Token).GetAsyncEnumerator(call.Token);
        try
        {
            while (true)
            {
                var (hasUpdate, failure) = await MoveNextAsync(stream).ConfigureAwait(false);
                if (failure is not null)
                {
                    ended = true;
                    if (writer is not null)
                    {
                        if (failure is OperationCanceledException && writer.StopRequested.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                        {
                            // A stop was requested (from any instance): the caller asked for it, so the stream just ends.
                            await EndLiveReplyAsync(responses, writer, updates, replyIndex, ChatReplyStatus.Stopped, ChatReplyReason.StopRequested, null).ConfigureAwait(false);
                            yield break;
                        }

                        var caller = failure is OperationCanceledException && cancellationToken.IsCancellationRequested;
                        await EndLiveReplyAsync(
                            responses,
                            writer,
                            updates,
                            replyIndex,
                            caller ? ChatReplyStatus.Stopped : ChatReplyStatus.Interrupted,
                            caller ? ChatReplyReason.CallerStopped : ChatReplyReason.Failed,
                            caller ? null : FailureDetail(failure)).ConfigureAwait(false);
                    }

                    ExceptionDispatchInfo.Throw(failure);
                }

                if (!hasUpdate)
                {
                    break;
                }

                var item = stream.Current;
                var update = asChat(item);
                var index = boundaries.Next(update, updates.Count);
                updates.Add(update);
                if (replyIndex < 0 && boundaries.Role == ChatRole.Assistant && !string.IsNullOrEmpty(update.Text))
                {
                    replyIndex = index;
                    parent = parentId();
                    if (index > 0)
                    {
                        // The messages before the reply (tool calls and results) are complete: stored now, so the reply follows them.
                        var before = updates.GetRange(0, boundaries.FirstUpdate).ToChatResponse();
                        parent = await responses.AppendFromAsync(userId, sessionId, before, 0, lastHasTotals: false, parent, cancellationToken).ConfigureAwait(false);
                    }

                    // A reply cannot be a root: with nothing seen before it (an empty session), it simply starts the active path.
                    var reply = new NewChatReply { ParentId = parent == NewChatMessage.RootParent ? null : parent };
                    onReplyBegun?.Invoke(reply.Id);
                    writer = await ChatReplyWriter.StartAsync(responses.Store, userId, sessionId, reply, writerOptions, cancellationToken).ConfigureAwait(false);
                    onStop = writer.StopRequested.Register(static state => ((CancellationTokenSource)state!).Cancel(), call);
                }

                if (writer is not null && index == replyIndex && update.Text is { Length: > 0 } text)
                {
                    writer.Append(text);
                }

                yield return item;
            }

            ended = true;
            var response = updates.ToChatResponse();
            if (writer is null)
            {
                _ = await responses.SaveAsync(userId, sessionId, response, parentId(), cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var last = response.Messages.Count - 1;
                if (writer.StopRequested.IsCancellationRequested)
                {
                    // The inner stream ended quietly when the stop cancelled it: the reply was stopped, not completed.
                    _ = await writer.EndAsync(ChatReplyStatus.Stopped, ChatReplyReason.StopRequested, null, responses.MessageMetadata(response, replyIndex, replyIndex == last), CancellationToken.None).ConfigureAwait(false);
                    yield break;
                }

                _ = await writer.CompleteAsync(responses.MessageMetadata(response, replyIndex, replyIndex == last), CancellationToken.None).ConfigureAwait(false);
                if (last > replyIndex)
                {
                    _ = await responses.AppendFromAsync(userId, sessionId, response, replyIndex + 1, lastHasTotals: true, parent is null ? null : writer.Message.Id, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            await onStop.DisposeAsync().ConfigureAwait(false);
            if (!ended && writer is not null)
            {
                // The caller stopped reading before the end (the enumerator was disposed early).
                await EndLiveReplyAsync(responses, writer, updates, replyIndex, ChatReplyStatus.Stopped, ChatReplyReason.CallerStopped, null).ConfigureAwait(false);
            }

            await stream.DisposeAsync().ConfigureAwait(false);
            if (writer is not null)
            {
                await writer.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task<(bool HasUpdate, Exception? Failure)> MoveNextAsync<T>(IAsyncEnumerator<T> stream)
    {
        try
        {
            return (await stream.MoveNextAsync().ConfigureAwait(false), null);
        }
#pragma warning disable CA1031 // Every failure of the inner stream ends the live reply, then is rethrown as it was.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return (false, ex);
        }
    }

    /// <summary>Ends a live reply that did not complete, keeping its text and today's metadata; never throws (the caller's failure or stop wins).</summary>
    private static async Task EndLiveReplyAsync(ResponseStore responses, ChatReplyWriter writer, List<ChatResponseUpdate> updates, int replyIndex, ChatReplyStatus status, ChatReplyReason reason, string? detail)
    {
        try
        {
            var response = updates.ToChatResponse();
            _ = await writer.EndAsync(status, reason, detail, responses.MessageMetadata(response, replyIndex, isLast: true)).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Best effort: the reply's lease ends it as interrupted if this end cannot be written.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private static string FailureDetail(Exception failure)
    {
        var detail = $"{failure.GetType().Name}: {failure.Message}".Replace('\0', ' ');
        return detail.Length <= ChatPersistenceLimits.MaxReasonDetailLength ? detail : detail[..ChatPersistenceLimits.MaxReasonDetailLength];
    }
}
