using ChatPersistence.Sdk.AI.Internal;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.AI;

/// <summary>
/// An Agent Framework <see cref="ChatHistoryProvider"/> that keeps each agent session's messages in an
/// <see cref="IChatSessionStore"/>. Plug it in with <c>new ChatClientAgentOptions { ChatHistoryProvider = provider }</c>.
/// </summary>
/// <remarks>
/// <para>
/// A session's state (in <see cref="AgentSession.StateBag"/> under <see cref="StateKeys"/>, and so in
/// <c>AIAgent.SerializeSessionAsync</c> output) is only its conversation key, <c>{"userId":…,"workflowId":…}</c>: the messages live in
/// the store, so a session deserialised in another process, or after a restart, continues from the store. Bind a new session with
/// <see cref="SetConversation"/> or set <see cref="PersistentChatHistoryProviderOptions.ConversationInitializer"/>.
/// </para>
/// <para>
/// Before a run, the newest stored messages (see <see cref="PersistentChatHistoryProviderOptions.MaxHistoryMessages"/>) are provided,
/// oldest first, through <see cref="PersistentChatHistoryProviderOptions.ChatReducer"/> when one is set. After a successful run, the
/// run's new request messages and its response messages are appended in one call, each under a new version 7 GUID; message ids,
/// binary data and the limits are handled as <see cref="PersistentChatClient"/> handles them (the caller's objects are never changed,
/// so a message object sent on two runs is stored twice). A request message that could not be stored fails with
/// <see cref="ArgumentException"/> before the model is called. A failed run stores nothing. One instance serves any number of sessions
/// and is thread-safe when the store is.
/// </para>
/// <para>
/// Replies stored while they stream: wrap the agent in a <see cref="PersistentReplyAgent"/> (<c>agent.WithPersistentReplies(provider)</c>).
/// During its streaming runs (marked in the session's state bag under <see cref="LiveRepliesStateKey"/> with the ids of the
/// replies it begins) this provider stores the run's request before the model is called, so the reply follows its question,
/// and leaves the response to the agent, which stores it as it streams: nothing is stored twice. The request then stays stored
/// when the run fails, as with <see cref="PersistentChatClient"/>. Without the wrapper, and for non-streaming runs, nothing changes.
/// </para>
/// <para>
/// Branches (stores with <see cref="ChatStoreCapabilities.Branches"/>): the history is the session's active path, and the run's
/// messages are stored under the newest message provided (the parent the run saw), never under a branch another device made
/// active meanwhile. <see cref="SetNextParent"/> makes the next run continue from a chosen message instead: regenerate an answer
/// (its question, and no new message) or edit and resend a question (its parent, and the new text).
/// </para>
/// <para>
/// History: a reply still being written (by another device or instance) is not provided; stopped and interrupted replies are,
/// with the text they kept.
/// </para>
/// </remarks>
public sealed class PersistentChatHistoryProvider : ChatHistoryProvider
{
    /// <summary>The default key of the provider's state in the session's state bag: <c>ChatPersistence</c>.</summary>
    public const string DefaultStateKey = "ChatPersistence";

    private readonly IChatSessionStore _store;
    private readonly PersistentChatHistoryProviderOptions _options;
    private readonly StorageLimits _limits;
    private readonly ProviderSessionState<ConversationState> _state;
    private readonly string[] _stateKeys;

    /// <summary>Creates the provider.</summary>
    /// <param name="store">The store that keeps the conversations.</param>
    /// <param name="options">The options; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="store"/> is <see langword="null"/>.</exception>
    public PersistentChatHistoryProvider(IChatSessionStore store, PersistentChatHistoryProviderOptions? options = null)
        : this(store, options, null)
    {
    }

    /// <summary>Creates the provider with the store limits of the registered <see cref="ChatPersistenceOptions"/>.</summary>
    internal PersistentChatHistoryProvider(IChatSessionStore store, PersistentChatHistoryProviderOptions? options, IServiceProvider? services)
        : base(options?.ProvideOutputMessageFilter, options?.StoreInputRequestMessageFilter, options?.StoreInputResponseMessageFilter)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        _options = options ?? new PersistentChatHistoryProviderOptions();
        _limits = StorageLimits.From(services, _options.MaxInlineDataBytes);
        _state = new ProviderSessionState<ConversationState>(InitializeState, _options.StateKey ?? DefaultStateKey, PersistenceJsonContext.Default.Options);
        _stateKeys = [_state.StateKey];
        LiveRepliesStateKey = _state.StateKey + ".LiveReplyIds";
        _parentStateKey = _state.StateKey + ".Parent";
    }

    private readonly string _parentStateKey;

    /// <summary>The store that keeps the conversations.</summary>
    public IChatSessionStore Store => _store;

    /// <summary>
    /// The key under which a <see cref="PersistentReplyAgent"/> marks a streaming run in <see cref="AgentSession.StateBag"/>
    /// (the ids of the replies it stores live, and whether the request is stored): the provider's state key followed by
    /// <c>.LiveReplyIds</c>. Present only while such a run is in progress.
    /// </summary>
    public string LiveRepliesStateKey { get; }

    /// <summary>The options messages are serialised with, for <see cref="PersistentReplyAgent"/>.</summary>
    internal System.Text.Json.JsonSerializerOptions? SerializerOptions => _options.SerializerOptions;

    /// <summary>The store's limits, for <see cref="PersistentReplyAgent"/>.</summary>
    internal StorageLimits Limits => _limits;

    /// <summary>Marks (or updates) a live streaming run of <paramref name="session"/>.</summary>
    internal void SetLiveRun(AgentSession session, LiveRunState state) =>
        session.StateBag.SetValue(LiveRepliesStateKey, state, PersistenceJsonContext.Default.Options);

    /// <summary>Ends the mark of a live streaming run.</summary>
    internal void ClearLiveRun(AgentSession session) => _ = session.StateBag.TryRemoveValue(LiveRepliesStateKey);

    /// <summary>The message a live run's response goes under (see <see cref="LiveRunState.ParentId"/>).</summary>
    internal Guid? GetLiveRunParent(AgentSession session) => GetLiveRun(session)?.ParentId;

    private LiveRunState? GetLiveRun(AgentSession? session) =>
        session is not null && session.StateBag.TryGetValue<LiveRunState>(LiveRepliesStateKey, out var state, PersistenceJsonContext.Default.Options) ? state : null;

    /// <inheritdoc />
    public override IReadOnlyList<string> StateKeys => _stateKeys;

    /// <summary>Binds a session to a conversation; later runs of the session load and store that conversation's messages.</summary>
    /// <param name="session">The agent session.</param>
    /// <param name="conversation">The conversation.</param>
    /// <exception cref="ArgumentNullException"><paramref name="session"/> or a key part is <see langword="null"/>.</exception>
    public void SetConversation(AgentSession session, ChatConversationKey conversation)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(conversation.UserId);
        ArgumentNullException.ThrowIfNull(conversation.WorkflowId);
        _state.SaveState(session, new ConversationState { UserId = conversation.UserId, WorkflowId = conversation.WorkflowId });
    }

    /// <summary>
    /// Makes the session's next run continue from <paramref name="parentId"/> instead of the active path's newest message: the
    /// model is provided the path that ends at that message, and the run's request and response are stored under it, as a new
    /// version beside what is there (which stays). Regenerate an answer: the answer's question (<see cref="StoredChatMessage.ParentId"/>
    /// of the answer) and a run with no new message. Edit and resend a question: the question's parent
    /// (<see cref="NewChatMessage.RootParent"/> for the first message) and a run with the new text. Used by the next run only
    /// (also when it fails); a message that is not in the session's conversation fails that run with
    /// <see cref="ChatNotFoundException"/> before the model is called.
    /// </summary>
    /// <param name="session">The agent session.</param>
    /// <param name="parentId">The message to continue from, or <see cref="NewChatMessage.RootParent"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="session"/> is <see langword="null"/>.</exception>
    /// <exception cref="NotSupportedException">The store does not keep branches (<see cref="ChatStoreCapabilities.Branches"/>).</exception>
    public void SetNextParent(AgentSession session, Guid parentId)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!_store.Capabilities.Branches)
        {
            throw new NotSupportedException($"Continuing from a chosen message needs a store that keeps branches; {_store.GetType().Name} does not (Capabilities.Branches is false).");
        }

        session.StateBag.SetValue(_parentStateKey, new TurnParentState { NextParentId = parentId }, PersistenceJsonContext.Default.Options);
    }

    private TurnParentState? GetTurnParent(AgentSession? session) =>
        session is not null && session.StateBag.TryGetValue<TurnParentState>(_parentStateKey, out var state, PersistenceJsonContext.Default.Options) ? state : null;

    /// <summary>Returns the conversation a session is bound to, binding it with the initializer first when needed.</summary>
    /// <param name="session">The agent session.</param>
    /// <returns>The conversation.</returns>
    /// <exception cref="InvalidOperationException">The session is not bound and no initializer is set.</exception>
    public ChatConversationKey GetConversation(AgentSession? session)
    {
        var state = _state.GetOrInitializeState(session);
        return new ChatConversationKey(state.UserId, state.WorkflowId);
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">A request message's text exceeds the store's content limit (checked before the model is called).</exception>
    protected override async ValueTask<IEnumerable<ChatMessage>> ProvideChatHistoryAsync(InvokingContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);

        // The request is stored only after the model answered: what cannot be stored fails now, before the model is called.
        StoreWriter.EnsureStorable(StoreWriter.Convert([.. context.RequestMessages], _options.SerializerOptions, _limits, cutLongText: false), _limits, nameof(context));

        var key = GetConversation(context.Session);
        var branches = _store.Capabilities.Branches;
        var next = GetTurnParent(context.Session)?.NextParentId;
        if (next is not null)
        {
            // The named parent is used by this run only, whatever happens to it.
            _ = context.Session!.StateBag.TryRemoveValue(_parentStateKey);
            if (!branches)
            {
                throw new NotSupportedException($"Continuing from a chosen message needs a store that keeps branches; {_store.GetType().Name} does not.");
            }
        }

        var session = await _store.GetOrCreateSessionAsync(key.UserId, key.WorkflowId, null, cancellationToken).ConfigureAwait(false);
        List<StoredChatMessage> window = [];
        Guid? leaf = null;
        if (next != NewChatMessage.RootParent)
        {
            // The path that ends at the named parent (ChatNotFoundException when it is not in this session), else the active path.
            (window, _, leaf) = await HistoryWindow.LoadAsync(
                _store, key.UserId, session.Id, _options.MaxHistoryMessages, _options.MaxHistoryCharacters, [], next, needLeaf: branches, cancellationToken).ConfigureAwait(false);
        }

        // The run's messages go under the newest message provided: the parent it saw.
        var parent = branches ? leaf ?? NewChatMessage.RootParent : (Guid?)null;
        if (branches && context.Session is not null)
        {
            context.Session.StateBag.SetValue(_parentStateKey, new TurnParentState { ParentId = parent }, PersistenceJsonContext.Default.Options);
        }

        // A reply still being written (by a host or another device) is not part of what was said yet.
        _ = window.RemoveAll(m => m.Status == ChatReplyStatus.Streaming);
        if (GetLiveRun(context.Session) is { RequestStored: false } live)
        {
            // A PersistentReplyAgent stores this run's reply while it streams: its question must be stored before it.
            var request = StoreWriter.Convert([.. FilterRequest(context.RequestMessages)], _options.SerializerOptions, _limits, cutLongText: false);
            live.ParentId = await StoreWriter.AppendAsync(_store, key.UserId, session.Id, request, parent, cancellationToken).ConfigureAwait(false);
            live.RequestStored = true;
            SetLiveRun(context.Session!, live);
        }

        IEnumerable<ChatMessage> history = window.ToChatMessages(_options.SerializerOptions);
        if (_options.ChatReducer is { } reducer)
        {
            history = await reducer.ReduceAsync(history, cancellationToken).ConfigureAwait(false);
        }

        return history;
    }

    /// <inheritdoc />
    protected override async ValueTask StoreChatHistoryAsync(InvokedContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        var parent = GetTurnParent(context.Session)?.ParentId;
        if (parent is not null)
        {
            _ = context.Session!.StateBag.TryRemoveValue(_parentStateKey);
        }

        if (context.InvokeException is not null)
        {
            return;
        }

        // During a PersistentReplyAgent's streaming run the request is stored already and the agent stores the response live.
        var live = GetLiveRun(context.Session);
        var messages = live is { RequestStored: true } ? [] : StoreWriter.Convert([.. context.RequestMessages], _options.SerializerOptions, _limits, cutLongText: false);
        if (live is null)
        {
            messages.AddRange(StoreWriter.Convert([.. context.ResponseMessages ?? []], _options.SerializerOptions, _limits, cutLongText: true));
        }

        if (messages.Count == 0)
        {
            return;
        }

        var key = GetConversation(context.Session);
        var session = await _store.GetOrCreateSessionAsync(key.UserId, key.WorkflowId, null, cancellationToken).ConfigureAwait(false);
        _ = await StoreWriter.AppendAsync(_store, key.UserId, session.Id, messages, parent, cancellationToken).ConfigureAwait(false);
    }

    // The request messages the base class would store: the options' filter, or all but those that came from the history.
    private IEnumerable<ChatMessage> FilterRequest(IEnumerable<ChatMessage> messages) =>
        _options.StoreInputRequestMessageFilter is { } filter
            ? filter(messages)
            : messages.Where(m => m.GetAgentRequestMessageSourceType() != AgentRequestMessageSourceType.ChatHistory);

    private ConversationState InitializeState(AgentSession? session)
    {
        var initializer = _options.ConversationInitializer ?? throw new InvalidOperationException(
            "This agent session is not bound to a persistent conversation. Call PersistentChatHistoryProvider.SetConversation(session, " +
            "new ChatConversationKey(userId, workflowId)) after creating the session, or set PersistentChatHistoryProviderOptions.ConversationInitializer.");
        var key = initializer(session);
        ArgumentNullException.ThrowIfNull(key.UserId, "ConversationInitializer().UserId");
        ArgumentNullException.ThrowIfNull(key.WorkflowId, "ConversationInitializer().WorkflowId");
        return new ConversationState { UserId = key.UserId, WorkflowId = key.WorkflowId };
    }
}
