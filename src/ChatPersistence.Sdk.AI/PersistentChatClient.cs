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
/// Branches (stores with <see cref="ChatStoreCapabilities.Branches"/>): the history window is the session's active path, and
/// the request's first new message, or the response when there is none, is stored under the newest message of the window that
/// was read (the parent the turn saw), so that it never lands under a branch another device made active meanwhile. To
/// regenerate an answer or to edit a question and resend it, name the message in the options
/// (<see cref="ChatOptionsVersionExtensions.WithChatRegenerate"/>, <see cref="ChatOptionsVersionExtensions.WithChatEdit"/>,
/// <see cref="ChatOptionsVersionExtensions.WithChatParent"/>): the model is then sent the path that ends where the new version
/// goes, and the new version is stored beside the old one, which stays. On a store without branches these fail with
/// <see cref="NotSupportedException"/> before the model is called.
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

    /// <summary>
    /// The <see cref="ChatOptions.AdditionalProperties"/> key of the message the turn continues from: <c>chat.parent_id</c>
    /// (see <see cref="ChatOptionsVersionExtensions.WithChatParent"/>). A <see cref="Guid"/> or its string form.
    /// </summary>
    public const string ParentIdPropertyName = "chat.parent_id";

    /// <summary>
    /// The <see cref="ChatOptions.AdditionalProperties"/> key of the answer the turn regenerates: <c>chat.regenerate_id</c>
    /// (see <see cref="ChatOptionsVersionExtensions.WithChatRegenerate"/>). A <see cref="Guid"/> or its string form.
    /// </summary>
    public const string RegenerateIdPropertyName = "chat.regenerate_id";

    /// <summary>
    /// The <see cref="ChatOptions.AdditionalProperties"/> key of the question the turn edits and resends: <c>chat.edit_id</c>
    /// (see <see cref="ChatOptionsVersionExtensions.WithChatEdit"/>). A <see cref="Guid"/> or its string form.
    /// </summary>
    public const string EditIdPropertyName = "chat.edit_id";

    // The parameter a versioning option's error names: the options that carry it (errors are raised by the helpers that read it).
    private static readonly string OptionsParameter = "options";

    private static readonly string[] OwnPropertyNames = [UserIdPropertyName, WorkflowIdPropertyName, ParentIdPropertyName, RegenerateIdPropertyName, EditIdPropertyName];

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
    /// <exception cref="ArgumentException">A versioning option is not usable: the message to regenerate is not an assistant message
    /// or has no message before it, the question to edit is not a user message, the request does not fit it (a regenerate request
    /// carries new messages; an edit request does not start with a user message), or several are set. Nothing was sent or stored.</exception>
    /// <exception cref="ChatNotFoundException">The message a versioning option names is not in this conversation (another session,
    /// another user, or none). Nothing was sent or stored.</exception>
    /// <exception cref="NotSupportedException">A versioning option is set and the store does not keep branches
    /// (<see cref="ChatStoreCapabilities.Branches"/>). Nothing was sent or stored.</exception>
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
    /// <exception cref="ArgumentException">A versioning option is not usable: the message to regenerate is not an assistant message
    /// or has no message before it, the question to edit is not a user message, the request does not fit it (a regenerate request
    /// carries new messages; an edit request does not start with a user message), or several are set. Nothing was sent or stored.</exception>
    /// <exception cref="ChatNotFoundException">The message a versioning option names is not in this conversation (another session,
    /// another user, or none). Nothing was sent or stored.</exception>
    /// <exception cref="NotSupportedException">A versioning option is set and the store does not keep branches
    /// (<see cref="ChatStoreCapabilities.Branches"/>). Nothing was sent or stored.</exception>
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
            () => turn.ResponseParent,
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
        var (key, innerOptions, target) = ResolveConversation(messages, options);
        var branches = _store.Capabilities.Branches;
        if (target.Kind != TargetKind.Active && !branches)
        {
            throw new NotSupportedException(
                $"Regenerating, editing and naming a parent need a store that keeps branches; {_store.GetType().Name} does not " +
                "(Capabilities.Branches is false). Nothing was sent to the model and nothing was stored.");
        }

        var request = messages as IReadOnlyList<ChatMessage> ?? [.. messages];
        var leadingSystem = 0;
        while (leadingSystem < request.Count && request[leadingSystem].Role == ChatRole.System)
        {
            leadingSystem++;
        }

        // Regenerate stores no request message; edit stores the new version first, so a leading system prompt is sent, never stored.
        var versioned = target.Kind is TargetKind.Regenerate or TargetKind.Edit;
        var toStore = new List<ChatMessage>(request.Count);
        for (var i = versioned ? leadingSystem : 0; i < request.Count; i++)
        {
            if (_options.StoreSystemMessages || request[i].Role != ChatRole.System)
            {
                toStore.Add(request[i]);
            }
        }

        if (target.Kind == TargetKind.Regenerate && toStore.Count > 0)
        {
            throw new ArgumentException(
                "A request that regenerates an answer carries no new message (only, if any, the system prompt): the answer is produced again for its question. " +
                "Nothing was sent to the model and nothing was stored.",
                nameof(messages));
        }

        if (target.Kind == TargetKind.Edit && (toStore.Count == 0 || toStore[0].Role != ChatRole.User))
        {
            throw new ArgumentException(
                "A request that edits a question must start (after the system prompt) with the new version of the question, a user message. " +
                "Nothing was sent to the model and nothing was stored.",
                nameof(messages));
        }

        var newMessages = StoreWriter.Convert(toStore, _options.SerializerOptions, _limits, cutLongText: false);
        StoreWriter.EnsureStorable(newMessages, _limits, nameof(messages));
        var (sessionId, readLeaf, readNothing) = await LocateAsync(key, target, cancellationToken).ConfigureAwait(false);

        List<StoredChatMessage> history = [];
        var alreadyStored = 0;
        Guid? leaf = null;
        if (!readNothing)
        {
            // An edit is never a retry of what is stored on the path it continues: it is aligned with nothing.
            (history, alreadyStored, leaf) = await HistoryWindow.LoadAsync(
                _store, key.UserId, sessionId, _options.MaxHistoryMessages, _options.MaxHistoryCharacters,
                target.Kind == TargetKind.Edit ? [] : newMessages, readLeaf, needLeaf: branches, cancellationToken).ConfigureAwait(false);
        }

        // The first messages of the request that are already the newest stored ones (a retry of a call whose model call failed,
        // or a caller that resends the conversation) are neither stored again nor sent twice.
        newMessages.RemoveRange(0, alreadyStored);

        // A reply another device is still writing is never sent; stopped and interrupted ones are, unless the options say not to.
        _ = history.RemoveAll(m => m.Status == ChatReplyStatus.Streaming || (!_options.IncludeUnfinishedReplies && m.Status != ChatReplyStatus.Complete));

        // The turn goes under the newest message it read (the parent it saw), never under whatever is active when it is stored.
        var parent = branches ? leaf ?? NewChatMessage.RootParent : (Guid?)null;
        var responseParent = await StoreWriter.AppendAsync(_store, key.UserId, sessionId, newMessages, parent, cancellationToken).ConfigureAwait(false);

        var all = new List<ChatMessage>(request.Count + history.Count);
        var prefix = _options.StoreSystemMessages && !versioned ? 0 : leadingSystem;
        for (var i = 0; i < prefix; i++)
        {
            all.Add(request[i]);
        }

        all.AddRange(history.ToChatMessages(_options.SerializerOptions));
        for (var i = prefix; i < request.Count; i++)
        {
            all.Add(request[i]);
        }

        return new Turn(key.UserId, sessionId, all, innerOptions, responseParent);
    }

    /// <summary>
    /// The session of the turn and which path to read: the active path; the path that ends at a named message (checked to be in
    /// the conversation, with the role the option needs); or nothing (a new first message: the question edited is a root, or the
    /// named parent is <see cref="NewChatMessage.RootParent"/>). Nothing is created or written for a message that is not there.
    /// </summary>
    private async Task<(Guid SessionId, Guid? ReadLeaf, bool ReadNothing)> LocateAsync(ChatConversationKey key, TurnTarget target, CancellationToken cancellationToken)
    {
        if (target.Kind == TargetKind.Active || (target.Kind == TargetKind.Parent && target.MessageId == NewChatMessage.RootParent))
        {
            var session = await _store.GetOrCreateSessionAsync(key.UserId, key.WorkflowId, null, cancellationToken).ConfigureAwait(false);
            return (session.Id, null, target.Kind == TargetKind.Parent);
        }

        var versions = await _store.GetSiblingsAsync(key.UserId, target.MessageId, cancellationToken).ConfigureAwait(false);
        var owner = await _store.GetSessionAsync(key.UserId, versions.SessionId, cancellationToken).ConfigureAwait(false);
        var workflowId = key.WorkflowId.IsNormalized(System.Text.NormalizationForm.FormC) ? key.WorkflowId : key.WorkflowId.Normalize(System.Text.NormalizationForm.FormC);
        if (owner is null || !string.Equals(owner.WorkflowId, workflowId, StringComparison.Ordinal))
        {
            throw ChatNotFoundException.ForMessage(target.MessageId);
        }

        var role = versions.Versions[versions.Index].Role;
        switch (target.Kind)
        {
            case TargetKind.Regenerate when role != ChatMessageRole.Assistant:
                throw new ArgumentException(
                    $"Message {target.MessageId} is a {role.ToStorageName()} message: only an assistant message can be regenerated (to resend a question, edit it). " +
                    "Nothing was sent to the model and nothing was stored.",
                    OptionsParameter);
            case TargetKind.Regenerate when versions.ParentId is null:
                throw new ArgumentException(
                    $"Message {target.MessageId} is the first message of its conversation: there is no question to answer again. Nothing was sent to the model and nothing was stored.",
                    OptionsParameter);
            case TargetKind.Edit when role != ChatMessageRole.User:
                throw new ArgumentException(
                    $"Message {target.MessageId} is a {role.ToStorageName()} message: only a user message can be edited and resent (an answer cannot be edited into a question). " +
                    "Nothing was sent to the model and nothing was stored.",
                    OptionsParameter);
            case TargetKind.Regenerate:
            case TargetKind.Edit:
                return (versions.SessionId, versions.ParentId, versions.ParentId is null);
            default:
                return (versions.SessionId, target.MessageId, false);
        }
    }

    private Task<Guid?> SaveResponseAsync(Turn turn, ChatResponse response, CancellationToken cancellationToken) =>
        _responses.SaveAsync(turn.UserId, turn.SessionId, response, turn.ResponseParent, cancellationToken);

    private (ChatConversationKey Key, ChatOptions? InnerOptions, TurnTarget Target) ResolveConversation(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var properties = options?.AdditionalProperties;
        var hasOwnProperties = properties is not null && Array.Exists(OwnPropertyNames, properties.ContainsKey);
        var usedConversationId = false;
        var target = ReadTarget(properties);

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
            return (key, options, target);
        }

        var inner = options!.Clone();
        if (hasOwnProperties)
        {
            var copy = new AdditionalPropertiesDictionary(properties!);
            foreach (var name in OwnPropertyNames)
            {
                _ = copy.Remove(name);
            }

            inner.AdditionalProperties = copy.Count == 0 ? null : copy;
        }

        if (usedConversationId)
        {
            inner.ConversationId = null;
        }

        return (key, inner, target);
    }

    /// <summary>Which versioning option the request carries (at most one).</summary>
    private static TurnTarget ReadTarget(AdditionalPropertiesDictionary? properties)
    {
        var target = new TurnTarget(TargetKind.Active, Guid.Empty);
        foreach (var (name, kind) in (ReadOnlySpan<(string, TargetKind)>)[(ParentIdPropertyName, TargetKind.Parent), (RegenerateIdPropertyName, TargetKind.Regenerate), (EditIdPropertyName, TargetKind.Edit)])
        {
            if (ReadGuid(properties, name) is not { } id)
            {
                continue;
            }

            if (target.Kind != TargetKind.Active)
            {
                throw new ArgumentException(
                    $"A request names at most one of \"{ParentIdPropertyName}\", \"{RegenerateIdPropertyName}\" and \"{EditIdPropertyName}\". Nothing was sent to the model and nothing was stored.",
                    OptionsParameter);
            }

            if (id == Guid.Empty && kind != TargetKind.Parent)
            {
                throw new ArgumentException($"\"{name}\" must name a message, not Guid.Empty. Nothing was sent to the model and nothing was stored.", OptionsParameter);
            }

            target = new TurnTarget(kind, id);
        }

        return target;
    }

    private static Guid? ReadGuid(AdditionalPropertiesDictionary? properties, string name)
    {
        if (properties is null || !properties.TryGetValue(name, out var value) || value is null)
        {
            return null;
        }

        if (value is Guid guid)
        {
            return guid;
        }

        var text = ReadString(properties, name);
        return Guid.TryParse(text, out var parsed)
            ? parsed
            : throw new ArgumentException($"\"{name}\" must be a message id (a GUID), not \"{text}\". Nothing was sent to the model and nothing was stored.", OptionsParameter);
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

    /// <summary>A prepared turn: its conversation, what the model is sent, and the message its response goes under (null: the active leaf).</summary>
    private sealed record Turn(string UserId, Guid SessionId, List<ChatMessage> Messages, ChatOptions? Options, Guid? ResponseParent);

    /// <summary>What a turn continues: the active path, or the message named by a versioning option.</summary>
    private readonly record struct TurnTarget(TargetKind Kind, Guid MessageId);

    /// <summary>The versioning option of a turn.</summary>
    private enum TargetKind
    {
        /// <summary>None: the turn continues the active path.</summary>
        Active,

        /// <summary><see cref="ParentIdPropertyName"/>.</summary>
        Parent,

        /// <summary><see cref="RegenerateIdPropertyName"/>.</summary>
        Regenerate,

        /// <summary><see cref="EditIdPropertyName"/>.</summary>
        Edit,
    }
}
