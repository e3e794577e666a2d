using Microsoft.Agents.AI;

namespace ChatPersistence.Sdk.AI;

/// <summary>Adds <see cref="PersistentReplyAgent"/> to an agent.</summary>
/// <remarks>
/// With an <c>AIAgentBuilder</c> (package <c>Microsoft.Agents.AI</c>, which this package does not depend on):
/// <c>builder.Use(inner =&gt; inner.WithPersistentReplies(provider))</c>.
/// </remarks>
public static class PersistentReplyAgentExtensions
{
    /// <summary>Wraps <paramref name="agent"/> so its streaming replies are stored while they stream (see <see cref="PersistentReplyAgent"/>).</summary>
    /// <param name="agent">The agent, whose chat history provider is <paramref name="provider"/>.</param>
    /// <param name="provider">The provider that keeps the agent's conversations.</param>
    /// <param name="writerOptions">How the reply writer flushes; <see langword="null"/> uses the store's interval and the defaults.</param>
    /// <returns>The wrapping agent.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="agent"/> or <paramref name="provider"/> is <see langword="null"/>.</exception>
    public static PersistentReplyAgent WithPersistentReplies(this AIAgent agent, PersistentChatHistoryProvider provider, ChatReplyWriterOptions? writerOptions = null) =>
        new(agent, provider, writerOptions);
}
