using ChatPersistence.Sdk;
using ChatPersistence.Sdk.AI;
using Microsoft.Extensions.DependencyInjection;

namespace Microsoft.Extensions.AI;

/// <summary>Adds <see cref="PersistentChatClient"/> to a chat client pipeline.</summary>
public static class PersistentChatClientBuilderExtensions
{
    /// <summary>
    /// Adds a <see cref="PersistentChatClient"/> to the pipeline. Call it first, so that it is the outermost client
    /// (before <c>UseFunctionInvocation()</c>).
    /// </summary>
    /// <param name="builder">The chat client builder.</param>
    /// <param name="store">
    /// The store that keeps the conversations; <see langword="null"/> (default) resolves <see cref="IChatSessionStore"/> from the services
    /// the pipeline is built with, i.e. the store <c>services.AddChatPersistence().Use…()</c> registered.
    /// </param>
    /// <param name="configure">Configures the options; <see langword="null"/> keeps the defaults.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <exception cref="InvalidOperationException">Thrown by <see cref="ChatClientBuilder.Build"/> when <paramref name="store"/> is <see langword="null"/> and no <see cref="IChatSessionStore"/> is registered.</exception>
    public static ChatClientBuilder UseChatPersistence(this ChatClientBuilder builder, IChatSessionStore? store = null, Action<PersistentChatClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var options = new PersistentChatClientOptions();
        configure?.Invoke(options);
        return builder.Use((inner, services) => store is null
            ? new PersistentChatClient(inner, services.GetRequiredService<IChatSessionStore>(), options, services, RegisteredFeed(services))
            : new PersistentChatClient(inner, store, options, services));
    }

    // The registered store's change feed, when it has one (AddChatPersistence registers IChatChangeFeed always; resolving it
    // throws for a store without a feed, such as Supabase over HTTP).
    private static ChatPersistence.Sdk.ChangeFeed.IChatChangeFeed? RegisteredFeed(IServiceProvider services) =>
        services.GetService<ChatPersistenceBuilder>() is { HasChangeFeed: true }
            ? services.GetService<ChatPersistence.Sdk.ChangeFeed.IChatChangeFeed>()
            : null;
}
