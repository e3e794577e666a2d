using ChatPersistence.Sdk.ChangeFeed;
using System.Runtime.CompilerServices;
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
    private readonly ChatReplyWriterOptions? _writerOptions;
    private readonly PersistentChatClientOptions _options;
    private readonly StorageLimits _limits;
    private readonly ResponseStore _responses;

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
    internal PersistentChatClient(IChatClient innerClient, IChatSessionStore store, PersistentChatClientOptions? options, IServiceProvider? services, IChatChangeFeed? feed = null)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _options = options ?? new PersistentChatClientOptions();
        _limits = StorageLimits.From(services, _options.MaxInlineDataBytes);
        _responses = new ResponseStore(store, _options.SerializerOptions, _limits);
        _writerOptions = WithFeed(_options.ReplyWriterOptions, feed);
    }

    /// <summary>The store that keeps the conversations.</summary>
    public IChatSessionStore Store => _store;

    // The writer's options; with the registered change feed when the host gave none, so that Stop pressed on any instance
    // reaches a reply's writer at once, also while the model produces no text (a tool call).
    private static ChatReplyWriterOptions? WithFeed(ChatReplyWriterOptions? options, IChatChangeFeed? feed)
    {
        if (options?.ChangeFeed is not null || feed is null)
        {
            return options;
        }

        return (options ?? new ChatReplyWriterOptions()).WithChangeFeed(feed);
    }

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

    /// <summary>Streams and stores the reply while it streams (see <see cref="LiveReplyStream"/>), after storing the request.</summary>
    private async IAsyncEnumerable<ChatResponseUpdate> StreamProgressivelyAsync(
        IEnumerable<ChatMessage> messages,
        ChatOptions? options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var turn = await PrepareAsync(messages, options, cancellationToken).ConfigureAwait(false);
        var stream = LiveReplyStream.StreamAsync(
            _responses,
            turn.UserId,
            turn.SessionId,
            _writerOptions,
            token => base.GetStreamingResponseAsync(turn.Messages, turn.Options, token),
            static update => update,
            null,
            cancellationToken);
        await foreach (var update in stream.ConfigureAwait(false))
        {
            yield return update;
        }
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

    private Task SaveResponseAsync(Turn turn, ChatResponse response, CancellationToken cancellationToken) =>
        _responses.SaveAsync(turn.UserId, turn.SessionId, response, cancellationToken);

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
