using System.Runtime.CompilerServices;
using ChatPersistence.Sdk.AI.Internal;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.AI;

/// <summary>
/// An agent wrapper that stores an agent's streaming reply while it streams, in the store of the
/// <see cref="PersistentChatHistoryProvider"/> the inner agent uses, exactly as <see cref="PersistentChatClient"/> stores a
/// streaming chat response. Add it with <see cref="PersistentReplyAgentExtensions.WithPersistentReplies"/>.
/// </summary>
/// <remarks>
/// <para>
/// A streaming run (<c>RunStreamingAsync</c>): the provider stores the run's request before the model is called; the response
/// message that carries the first text is begun as a reply (<see cref="ChatReplyWriter"/>; the messages before it, tool calls and
/// results, are appended complete first), grows as the updates stream (passed through unchanged), and ends
/// <see cref="ChatReplyStatus.Complete"/>; the messages after it are appended at the end. The caller stops reading or cancels →
/// <see cref="ChatReplyStatus.Stopped"/>/<see cref="ChatReplyReason.CallerStopped"/> with the text so far; the inner agent throws →
/// <see cref="ChatReplyStatus.Interrupted"/>/<see cref="ChatReplyReason.Failed"/> (detail: the exception's type and message) and the
/// exception propagates; a stop requested through the store (<see cref="IChatSessionStore.StopReplyAsync"/>, from any instance)
/// cancels the inner run and ends the stream normally, <see cref="ChatReplyStatus.Stopped"/>/<see cref="ChatReplyReason.StopRequested"/>.
/// The run's reply ids are kept in the session's state bag under <see cref="PersistentChatHistoryProvider.LiveRepliesStateKey"/>
/// while it runs, so the provider does not store the response a second time.
/// </para>
/// <para>
/// Non-streaming runs (<c>RunAsync</c>), and every run when the store does not keep replies in progress
/// (<see cref="ChatStoreCapabilities.Replies"/>), pass through unchanged: the provider stores them after the run, as without the
/// wrapper. The inner agent must use the provider as its chat history provider (a <c>ChatClientAgent</c> built
/// with <c>ChatClientAgentOptions.ChatHistoryProvider = provider</c>). A streaming run without a session gets a new one from the
/// inner agent. Thread-safe when the store is; one run per session at a time (as the Agent Framework expects).
/// </para>
/// </remarks>
public sealed class PersistentReplyAgent : DelegatingAIAgent
{
    private readonly PersistentChatHistoryProvider _provider;
    private readonly ChatReplyWriterOptions? _writerOptions;
    private readonly ResponseStore _responses;

    /// <summary>Wraps <paramref name="innerAgent"/>.</summary>
    /// <param name="innerAgent">The agent, whose chat history provider is <paramref name="provider"/>.</param>
    /// <param name="provider">The provider that keeps the agent's conversations.</param>
    /// <param name="writerOptions">How the reply writer flushes; <see langword="null"/> uses the store's interval and the defaults.</param>
    /// <exception cref="ArgumentNullException"><paramref name="innerAgent"/> or <paramref name="provider"/> is <see langword="null"/>.</exception>
    public PersistentReplyAgent(AIAgent innerAgent, PersistentChatHistoryProvider provider, ChatReplyWriterOptions? writerOptions = null)
        : base(innerAgent)
    {
        ArgumentNullException.ThrowIfNull(provider);
        _provider = provider;
        _writerOptions = writerOptions;
        _responses = new ResponseStore(provider.Store, provider.SerializerOptions, provider.Limits);
    }

    /// <summary>The provider whose store keeps the replies.</summary>
    public PersistentChatHistoryProvider Provider => _provider;

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">The session is not bound to a conversation and the provider has no initializer.</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    protected override IAsyncEnumerable<AgentResponseUpdate> RunCoreStreamingAsync(
        IEnumerable<ChatMessage> messages,
        AgentSession? session = null,
        AgentRunOptions? options = null,
        CancellationToken cancellationToken = default) =>
        _provider.Store.Capabilities.Replies
            ? StreamAsync(messages, session, options, cancellationToken)
            : base.RunCoreStreamingAsync(messages, session, options, cancellationToken);

    private async IAsyncEnumerable<AgentResponseUpdate> StreamAsync(
        IEnumerable<ChatMessage> messages,
        AgentSession? session,
        AgentRunOptions? options,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var run = session ?? await InnerAgent.CreateSessionAsync(cancellationToken).ConfigureAwait(false);
        var key = _provider.GetConversation(run);
        var stored = await _provider.Store.GetOrCreateSessionAsync(key.UserId, key.WorkflowId, null, cancellationToken).ConfigureAwait(false);
        var live = new LiveRunState();
        _provider.SetLiveRun(run, live);
        try
        {
            var stream = LiveReplyStream.StreamAsync(
                _responses,
                key.UserId,
                stored.Id,
                () => _provider.GetLiveRunParent(run),
                _writerOptions,
                token => InnerAgent.RunStreamingAsync(messages, run, options, token),
                static update => update.AsChatResponseUpdate(),
                id =>
                {
                    live.ReplyIds.Add(id);
                    _provider.SetLiveRun(run, live);
                },
                cancellationToken);
            await foreach (var update in stream.ConfigureAwait(false))
            {
                yield return update;
            }
        }
        finally
        {
            _provider.ClearLiveRun(run);
        }
    }
}
