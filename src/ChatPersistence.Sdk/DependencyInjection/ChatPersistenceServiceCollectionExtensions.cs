using ChatPersistence.Sdk;
using ChatPersistence.Sdk.ChangeFeed;
using ChatPersistence.Sdk.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers chat persistence in a service collection.</summary>
public static class ChatPersistenceServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="IChatSessionStore"/> (a singleton built from the returned builder), binds
    /// <see cref="ChatPersistenceOptions"/> from the <c>ChatPersistence</c> configuration section when an
    /// <see cref="IConfiguration"/> is registered, and validates the options at start-up. Calling it again returns the same builder.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The builder on which to choose a store, e.g. <c>.UseInMemory()</c>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    public static ChatPersistenceBuilder AddChatPersistence(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        foreach (var descriptor in services)
        {
            if (descriptor.ServiceType == typeof(ChatPersistenceBuilder) && descriptor.ImplementationInstance is ChatPersistenceBuilder existing)
            {
                return existing;
            }
        }

        var builder = new ChatPersistenceBuilder(services);
        services.AddSingleton(builder);
        services.AddOptions<ChatPersistenceOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IConfigureOptions<ChatPersistenceOptions>, ChatPersistenceConfigureOptions>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ChatPersistenceOptions>, ChatPersistenceOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(sp => sp.GetRequiredService<ChatPersistenceBuilder>().Build(sp));
        services.TryAddSingleton(sp => sp.GetRequiredService<ChatPersistenceBuilder>().BuildFeed(sp));
        return builder;
    }

    /// <summary>Registers chat persistence (see <see cref="AddChatPersistence(IServiceCollection)"/>) and configures its options in code.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Configures the options, after configuration binding.</param>
    /// <returns>The builder on which to choose a store.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static ChatPersistenceBuilder AddChatPersistence(this IServiceCollection services, Action<ChatPersistenceOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        var builder = services.AddChatPersistence();
        services.Configure(configure);
        return builder;
    }

    /// <summary>
    /// Uses the <see cref="InMemoryChatSessionStore"/>: complete and thread-safe, nothing survives the process. The store is
    /// also the <see cref="IChatChangeFeed"/>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static ChatPersistenceBuilder UseInMemory(this ChatPersistenceBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(sp => new InMemoryChatSessionStore(
            sp.GetRequiredService<IOptions<ChatPersistenceOptions>>().Value,
            sp.GetRequiredService<TimeProvider>()));
        return builder
            .UseStore(sp => sp.GetRequiredService<InMemoryChatSessionStore>())
            .UseChangeFeed(sp => sp.GetRequiredService<InMemoryChatSessionStore>());
    }
}
