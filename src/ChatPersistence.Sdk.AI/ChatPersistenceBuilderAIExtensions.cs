using ChatPersistence.Sdk;
using ChatPersistence.Sdk.AI;
using Microsoft.Agents.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the AI integration on the builder <c>AddChatPersistence()</c> returns.</summary>
public static class ChatPersistenceBuilderAIExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="PersistentChatHistoryProvider"/> (also as <see cref="ChatHistoryProvider"/>) over the registered
    /// <see cref="IChatSessionStore"/>, for <c>new ChatClientAgentOptions { ChatHistoryProvider = sp.GetRequiredService&lt;ChatHistoryProvider&gt;() }</c>.
    /// The first registration wins.
    /// </summary>
    /// <param name="builder">The chat persistence builder.</param>
    /// <param name="configure">Configures the provider's options; <see langword="null"/> keeps the defaults.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static ChatPersistenceBuilder AddAgentChatHistory(this ChatPersistenceBuilder builder, Action<PersistentChatHistoryProviderOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(sp =>
        {
            var options = new PersistentChatHistoryProviderOptions();
            configure?.Invoke(options);
            return new PersistentChatHistoryProvider(sp.GetRequiredService<IChatSessionStore>(), options, sp);
        });
        builder.Services.TryAddSingleton<ChatHistoryProvider>(sp => sp.GetRequiredService<PersistentChatHistoryProvider>());
        return builder;
    }
}
