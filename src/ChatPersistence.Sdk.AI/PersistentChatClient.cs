using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChatPersistence.Sdk.AI.Internal;
using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.AI;

/// <summary>
/// A chat client that keeps each conversation in an <see cref="IChatSessionStore"/>: it loads the stored history of the
/// (user, workflow) conversation, prepends it to the request, stores the new messages before calling the inner client and the
/// response after it.
/// </summary>
/// <remarks>
/// <para>
/// Callers send only the new message(s) of a turn (plus, if they like, their system prompt): the history comes from the store.
/// The conversation is chosen per request (see <see cref="PersistentChatClientOptions.ConversationResolver"/>), usually with
/// <see cref="ChatOptionsConversationExtensions.WithChatConversation(ChatOptions, string, string)"/>, which sets <see cref="UserIdPropertyName"/> and
/// <see cref="WorkflowIdPropertyName"/>; these are removed from the options passed to the inner client.
/// </para>
/// <para>
/// Order of one call: get or create the session; read the history window; append, in one call, the request's messages except
/// its first messages that are already the newest stored ones (a retry of a call whose model call failed, or a caller that resends
/// the conversation: compared by stored id or by their stored form), so these are neither stored nor sent twice; call the inner
/// client with the leading system messages of the request, then the history, then the rest of the request; append the response's
/// messages in one call. The response's messages carry <see cref="ChatMessageMetadataKeys.ModelId"/> and
/// <see cref="ChatMessageMetadataKeys.ResponseId"/>; its last message also <see cref="ChatMessageMetadataKeys.Usage"/> and
/// <see cref="ChatMessageMetadataKeys.FinishReason"/>.
/// </para>
/// <para>
/// Ids: every stored message gets a new version 7 GUID from this client; a <see cref="ChatMessage.MessageId"/> (the caller's or the
/// model's, GUID or not) is kept as data and restored. The caller's and the model's objects are never changed, so the same
/// <see cref="ChatMessage"/> sent on two turns is stored twice, and a model that repeats its message ids never conflicts.
/// </para>
/// <para>
/// Limits: binary data (<see cref="DataContent"/>) up to <see cref="PersistentChatClientOptions.MaxInlineDataBytes"/> per message is
/// stored inline; beyond it, and whenever a message would exceed the store's metadata limit, the largest contents are stored as
/// placeholders (see <see cref="ChatMessageMetadataKeys.OmittedProperty"/>), and the turn is kept. The model still receives the
/// request as sent. A request message whose text exceeds the store's content limit fails with <see cref="ArgumentException"/> before
/// the model is called; a response's text beyond it is cut with a marker.
/// </para>
/// <para>
/// Failures: when the inner client fails, the request's messages stay stored and no response is stored. Streaming: updates are
/// passed through unchanged. When the store keeps replies in progress (<see cref="ChatStoreCapabilities.Replies"/>) and
/// <see cref="PersistentChatClientOptions.ProgressiveStreaming"/> is on, the response message that carries the first text is
/// stored while it streams (<see cref="ChatReplyWriter"/>; the messages before it are appended first, those after it at the end)
/// and ends <see cref="ChatReplyStatus.Complete"/> in today's stored form, <see cref="ChatReplyStatus.Stopped"/>
/// (<see cref="ChatReplyReason.CallerStopped"/>: the caller stopped reading or cancelled; <see cref="ChatReplyReason.StopRequested"/>:
/// a stop was requested through the store, which cancels the model call and ends the stream normally) or
/// <see cref="ChatReplyStatus.Interrupted"/> (<see cref="ChatReplyReason.Failed"/>: the inner client threw; the exception
/// propagates), keeping the text so far. Otherwise the reply is stored once, after the last update, as <c>ToChatResponse()</c> of
/// all updates, and a stream that fails, is cancelled or is not read to the end stores no reply.
/// </para>
/// <para>
/// Place it outermost (first <c>Use…</c> call), before <c>UseFunctionInvocation()</c>, so that one user turn is one load and one save
/// and the stored response holds the tool calls and results (inside a function-invocation loop it also works, with one load and
/// save per model call). Thread-safe when the store is.
/// </para>
/// </remarks>
public sealed class PersistentChatClient : DelegatingChatClient
{
    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key of the user id: <c>chat.user_id</c>.</summary>
    public const string UserIdPropertyName = "chat.user_id";

    /// <summary>The <see cref="ChatOptions.AdditionalProperties"/> key of the workflow id: <c>chat.workflow_id</c>.</summary>
    public const string WorkflowIdPropertyName = "chat.workflow_id";

    private readonly IChatSessionStore _store;
    private readonly PersistentChatClientOptions _options;
    private readonly StorageLimits _limits;

    /// <summary>Creates the client.</summary>
    /// <param name="innerClient">The client that produces responses.</param>
    /// <param name="store">The store that keeps the conversations.</param>
    /// <param name="options">The options; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="innerClient"/> or <paramref name="store"/> is <see langword="null"/>.</exception>
    public PersistentChatClient(IChatClient innerClient, IChatSessionStore store, PersistentChatClientOptions? options = null)
        : this(innerClient, store, options, null)
    {
    }

    /// <summary>Creates the client with the store limits of the registered <see cref="ChatPersistenceOptions"/>.</summary>
    internal PersistentChatClient(IChatClient innerClient, IChatSessionStore store, PersistentChatClientOptions? options, IServiceProvider? services)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _options = options ?? new PersistentChatClientOptions();
        _limits = StorageLimits.From(services, _options.MaxInlineDataBytes);
    }

    /// <summary>The store that keeps the conversations.</summary>
    public IChatSessionStore Store => _store;

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">No conversation could be determined for the request.</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var turn = await PrepareAsync(messages, options, cancellationToken).ConfigureAwait(false);
        var response = await base.GetResponseAsync(turn.Messages, turn.Options, cancellationToken).ConfigureAwait(false);
        await SaveResponseAsync(turn, response, cancellationToken).ConfigureAwait(false);
        return response;
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">No conversation could be determined for the request.</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        CancellationToken cancellationToken = default) =>
        _options.ProgressiveStreaming && _store.Capabilities.Replies
            ? StreamProgressivelyAsync(messages, options, cancellationToken)
            : StreamThenStoreAsync(messages, options, cancellationToken);

    private async IAsyncEnumerable<ChatResponseUpdate> StreamThenStoreAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var turn = await PrepareAsync(messages, options, cancellationToken).ConfigureAwait(false);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in base.GetStreamingResponseAsync(turn.Messages, turn.Options, cancellationToken).ConfigureAwait(false))
        {
            updates.Add(update);
            yield return update;
        }

        // Reached only when the inner stream completed and the caller read it to the end.
        await SaveResponseAsync(turn, updates.ToChatResponse(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Streams and stores the reply while it streams: the response message that carries the first text is the live reply (the
    /// messages before it, tool calls and results without text, are appended complete first, so the order is today's); its text
    /// grows with the updates; the messages after it are appended complete at the end, as today.
    /// </summary>
    private async IAsyncEnumerable<ChatResponseUpdate> StreamProgressivelyAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var turn = await PrepareAsync(messages, options, cancellationToken).ConfigureAwait(false);
        var updates = new List<ChatResponseUpdate>();
        var boundaries = new MessageBoundaries();
        var replyIndex = -1;
        ChatReplyWriter? writer = null;
        var ended = false;
        using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        CancellationTokenRegistration onStop = default;
        var stream = base.GetStreamingResponseAsync(turn.Messages, turn.Options, call.Token).GetAsyncEnumerator(call.Token);
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
                            await EndLiveReplyAsync(writer, updates, replyIndex, ChatReplyStatus.Stopped, ChatReplyReason.StopRequested, null).ConfigureAwait(false);
                            yield break;
                        }

                        var caller = failure is OperationCanceledException && cancellationToken.IsCancellationRequested;
                        await EndLiveReplyAsync(
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

                var update = stream.Current;
                var index = boundaries.Next(update, updates.Count);
                updates.Add(update);
                if (replyIndex < 0 && boundaries.Role == ChatRole.Assistant && !string.IsNullOrEmpty(update.Text))
                {
                    replyIndex = index;
                    if (index > 0)
                    {
                        // The messages before the reply (tool calls and results) are complete: stored now, so the reply follows them.
                        var before = updates.GetRange(0, boundaries.FirstUpdate).ToChatResponse();
                        await AppendResponseMessagesAsync(turn, before, 0, lastHasTotals: false, cancellationToken).ConfigureAwait(false);
                    }

                    writer = await ChatReplyWriter.StartAsync(_store, turn.UserId, turn.SessionId, new NewChatReply(), _options.ReplyWriterOptions, cancellationToken).ConfigureAwait(false);
                    onStop = writer.StopRequested.Register(static state => ((CancellationTokenSource)state!).Cancel(), call);
                }

                if (writer is not null && index == replyIndex && update.Text is { Length: > 0 } text)
                {
                    writer.Append(text);
                }

                yield return update;
            }

            ended = true;
            var response = updates.ToChatResponse();
            if (writer is null)
            {
                await SaveResponseAsync(turn, response, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                var last = response.Messages.Count - 1;
                if (writer.StopRequested.IsCancellationRequested)
                {
                    // The inner client ended its stream quietly when the stop cancelled it: the reply was stopped, not completed.
                    _ = await writer.EndAsync(ChatReplyStatus.Stopped, ChatReplyReason.StopRequested, null, ReplyMetadata(response, replyIndex, replyIndex == last), CancellationToken.None).ConfigureAwait(false);
                    yield break;
                }

                _ = await writer.CompleteAsync(ReplyMetadata(response, replyIndex, replyIndex == last), CancellationToken.None).ConfigureAwait(false);
                if (last > replyIndex)
                {
                    await AppendResponseMessagesAsync(turn, response, replyIndex + 1, lastHasTotals: true, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            await onStop.DisposeAsync().ConfigureAwait(false);
            if (!ended && writer is not null)
            {
                // The caller stopped reading before the end (the enumerator was disposed early).
                await EndLiveReplyAsync(writer, updates, replyIndex, ChatReplyStatus.Stopped, ChatReplyReason.CallerStopped, null).ConfigureAwait(false);
            }

            await stream.DisposeAsync().ConfigureAwait(false);
            if (writer is not null)
            {
                await writer.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static async Task<(bool HasUpdate, Exception? Failure)> MoveNextAsync(IAsyncEnumerator<ChatResponseUpdate> stream)
    {
        try
        {
            return (await stream.MoveNextAsync().ConfigureAwait(false), null);
        }
#pragma warning disable CA1031 // Every failure of the inner client ends the live reply, then is rethrown as it was.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            return (false, ex);
        }
    }

    /// <summary>Ends a live reply that did not complete, keeping its text and today's metadata; never throws (the caller's failure or stop wins).</summary>
    private async Task EndLiveReplyAsync(ChatReplyWriter writer, List<ChatResponseUpdate> updates, int replyIndex, ChatReplyStatus status, ChatReplyReason reason, string? detail)
    {
        try
        {
            var response = updates.ToChatResponse();
            _ = await writer.EndAsync(status, reason, detail, ReplyMetadata(response, replyIndex, isLast: true)).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Best effort: the reply's lease ends it as interrupted if this end cannot be written.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    /// <summary>The metadata today's stored form gives the reply message (the <c>meai</c> envelope, model and response ids, usage and finish reason on the last message).</summary>
    private JsonElement? ReplyMetadata(ChatResponse response, int replyIndex, bool isLast)
    {
        if (replyIndex < 0 || replyIndex >= response.Messages.Count)
        {
            return null;
        }

        var converted = StoreWriter.Convert([response.Messages[replyIndex]], _options.SerializerOptions, _limits, cutLongText: true, _ => ResponseMetadata(response, isLast));
        return converted[0].Stored.Metadata;
    }

    private async Task AppendResponseMessagesAsync(Turn turn, ChatResponse response, int from, bool lastHasTotals, CancellationToken cancellationToken)
    {
        var messages = response.Messages;
        if (from >= messages.Count)
        {
            return;
        }

        var last = messages.Count - 1;
        var converted = StoreWriter.Convert([.. messages.Skip(from)], _options.SerializerOptions, _limits, cutLongText: true, i => ResponseMetadata(response, lastHasTotals && from + i == last));
        await StoreWriter.AppendAsync(_store, turn.UserId, turn.SessionId, converted, cancellationToken).ConfigureAwait(false);
    }

    private static string FailureDetail(Exception failure)
    {
        var detail = $"{failure.GetType().Name}: {failure.Message}".Replace('\0', ' ');
        return detail.Length <= ChatPersistenceLimits.MaxReasonDetailLength ? detail : detail[..ChatPersistenceLimits.MaxReasonDetailLength];
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is null && serviceType == typeof(IChatSessionStore))
        {
            return _store;
        }

        return base.GetService(serviceType, serviceKey);
    }

    private async Task<Turn> PrepareAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        var (key, innerOptions) = ResolveConversation(messages, options);
        var session = await _store.GetOrCreateSessionAsync(key.UserId, key.WorkflowId, null, cancellationToken).ConfigureAwait(false);

        var request = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var leadingSystem = 0;
        while (leadingSystem < request.Count && request[leadingSystem].Role == ChatRole.System)
        {
            leadingSystem++;
        }

        var toStore = new List<ChatMessage>(request.Count);
        foreach (var message in request)
        {
            if (_options.StoreSystemMessages || message.Role != ChatRole.System)
            {
                toStore.Add(message);
            }
        }

        var newMessages = StoreWriter.Convert(toStore, _options.SerializerOptions, _limits, cutLongText: false);
        var (history, alreadyStored) = await HistoryWindow.LoadAsync(
            _store, key.UserId, session.Id, _options.MaxHistoryMessages, _options.MaxHistoryCharacters, newMessages, cancellationToken).ConfigureAwait(false);

        // The first messages of the request that are already the newest stored ones (a retry of a call whose model call failed,
        // or a caller that resends the conversation) are neither stored again nor sent twice.
        newMessages.RemoveRange(0, alreadyStored);

        // A reply another device is still writing is never sent; stopped and interrupted ones are, unless the options say not to.
        _ = history.RemoveAll(m => m.Status == ChatReplyStatus.Streaming || (!_options.IncludeUnfinishedReplies && m.Status != ChatReplyStatus.Complete));
        StoreWriter.EnsureStorable(newMessages, _limits, nameof(messages));
        if (newMessages.Count > 0)
        {
            await StoreWriter.AppendAsync(_store, key.UserId, session.Id, newMessages, cancellationToken).ConfigureAwait(false);
        }

        var all = new List<ChatMessage>(request.Count + history.Count);
        var prefix = _options.StoreSystemMessages ? 0 : leadingSystem;
        for (var i = 0; i < prefix; i++)
        {
            all.Add(request[i]);
        }

        all.AddRange(history.ToChatMessages(_options.SerializerOptions));
        for (var i = prefix; i < request.Count; i++)
        {
            all.Add(request[i]);
        }

        return new Turn(key.UserId, session.Id, all, innerOptions);
    }

    private async Task SaveResponseAsync(Turn turn, ChatResponse response, CancellationToken cancellationToken)
    {
        var messages = response.Messages;
        if (messages.Count == 0)
        {
            return;
        }

        var last = messages.Count - 1;
        var converted = StoreWriter.Convert([.. messages], _options.SerializerOptions, _limits, cutLongText: true, i => ResponseMetadata(response, i == last));
        await StoreWriter.AppendAsync(_store, turn.UserId, turn.SessionId, converted, cancellationToken).ConfigureAwait(false);
    }

    private static List<KeyValuePair<string, JsonNode?>> ResponseMetadata(ChatResponse response, bool isLast)
    {
        var metadata = new List<KeyValuePair<string, JsonNode?>>(4);
        if (response.ModelId is { } model)
        {
            metadata.Add(new(ChatMessageMetadataKeys.ModelId, JsonValue.Create(model)));
        }

        if (response.ResponseId is { } responseId)
        {
            metadata.Add(new(ChatMessageMetadataKeys.ResponseId, JsonValue.Create(responseId)));
        }

        if (isLast && response.Usage is { } usage)
        {
            metadata.Add(new(ChatMessageMetadataKeys.Usage, JsonSerializer.SerializeToNode(usage, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(UsageDetails)))));
        }

        if (isLast && response.FinishReason is { } finish)
        {
            metadata.Add(new(ChatMessageMetadataKeys.FinishReason, JsonValue.Create(finish.Value)));
        }

        return metadata;
    }

    private (ChatConversationKey Key, ChatOptions? InnerOptions) ResolveConversation(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var properties = options?.AdditionalProperties;
        var hasOwnProperties = properties is not null && (properties.ContainsKey(UserIdPropertyName) || properties.ContainsKey(WorkflowIdPropertyName));
        var usedConversationId = false;

        ChatConversationKey key;
        if (_options.ConversationResolver?.Invoke(messages, options) is { } resolved)
        {
            key = resolved;
        }
        else
        {
            var userId = ReadString(properties, UserIdPropertyName) ?? _options.DefaultUserId;
            var workflowId = ReadString(properties, WorkflowIdPropertyName);
            if (workflowId is null && _options.UseConversationIdAsWorkflowId && !string.IsNullOrEmpty(options?.ConversationId))
            {
                workflowId = options.ConversationId;
                usedConversationId = true;
            }

            if (userId is null || workflowId is null)
            {
                throw new InvalidOperationException(
                    "PersistentChatClient could not tell which conversation this request belongs to. Pass the ids with " +
                    "chatOptions.WithChatConversation(userId, workflowId) (ChatOptions.AdditionalProperties \"" + UserIdPropertyName + "\" and \"" +
                    WorkflowIdPropertyName + "\"), or set ChatOptions.ConversationId and PersistentChatClientOptions.DefaultUserId, " +
                    "or set PersistentChatClientOptions.ConversationResolver.");
            }

            key = new ChatConversationKey(userId, workflowId);
        }

        if (!hasOwnProperties && !usedConversationId)
        {
            return (key, options);
        }

        var inner = options!.Clone();
        if (hasOwnProperties)
        {
            var copy = new AdditionalPropertiesDictionary(properties!);
            _ = copy.Remove(UserIdPropertyName);
            _ = copy.Remove(WorkflowIdPropertyName);
            inner.AdditionalProperties = copy.Count == 0 ? null : copy;
        }

        if (usedConversationId)
        {
            inner.ConversationId = null;
        }

        return (key, inner);
    }

    private static string? ReadString(AdditionalPropertiesDictionary? properties, string name)
    {
        if (properties is null || !properties.TryGetValue(name, out var value))
        {
            return null;
        }

        return value switch
        {
            null => null,
            string s => s,
            JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
            _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture),
        };
    }

    private sealed record Turn(string UserId, Guid SessionId, List<ChatMessage> Messages, ChatOptions? Options);
}
