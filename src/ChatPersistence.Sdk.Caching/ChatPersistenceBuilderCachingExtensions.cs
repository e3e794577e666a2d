using ChatPersistence.Sdk;
using ChatPersistence.Sdk.Caching;
using ChatPersistence.Sdk.ChangeFeed;
using ChatPersistence.Sdk.Internal;
using Microsoft.Extensions.Caching.Distributed;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// <c>UseCaching()</c>, the caching decorator of <c>AddChatPersistence()</c>. Decorators compose in the order added — the first
/// added is the outermost — so <c>.UseLogging().UseTelemetry().UseCaching()</c> logs and traces every call, including cache hits.
/// </summary>
public static class ChatPersistenceBuilderCachingExtensions
{
    /// <summary>Caches sessions and newest history pages with the <c>ChatPersistence:Caching</c> settings.</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static ChatPersistenceBuilder UseCaching(this ChatPersistenceBuilder builder) => builder.UseCaching(null);

    /// <summary>
    /// Caches, on <c>Microsoft.Extensions.Caching.Hybrid</c>'s <c>HybridCache</c>, the session of each (user, workflow),
    /// each session by id, and the newest history page of each session, so reopening a workflow costs no round trip. The
    /// in-process tier is private to the store (bounded by <see cref="ChatCachingOptions.SizeLimit"/> entries); a registered
    /// <see cref="IDistributedCache"/> — Redis through <c>AddStackExchangeRedisCache</c> — is the second tier, shared by every
    /// host. This host's own writes (append, clear, delete, rename, favourite, retention) evict at once. When the store has a
    /// change feed (in-memory, SQLite, PostgreSQL), each host watches the users it has read and evicts exactly the session
    /// each change names, so other hosts' writes are seen once the feed delivered them (the feed is started with the cache,
    /// and until it is live reads go to the store); without one, after <see cref="ChatCachingOptions.Expiration"/>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Adjusts the options after configuration binding, or <see langword="null"/>.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <remarks>The cache and its feed watches are disposed with the service provider.</remarks>
    public static ChatPersistenceBuilder UseCaching(this ChatPersistenceBuilder builder, Action<ChatCachingOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<ChatCachingOptions>()
            .Configure<IServiceProvider>((options, services) =>
            {
                services.GetService<IConfiguration>()?.GetSection(ChatCachingOptions.SectionName).Bind(options);
                configure?.Invoke(options);
            })
            .Validate(o => o.Expiration > TimeSpan.Zero, "ChatPersistence:Caching:Expiration must be positive.")
            .Validate(o => o.SizeLimit >= 1, "ChatPersistence:Caching:SizeLimit must be at least 1.")
            .Validate(o => o.MaxWatchedUsers >= 1, "ChatPersistence:Caching:MaxWatchedUsers must be at least 1.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton(services => new ChatCache(
            services.GetRequiredService<IOptions<ChatCachingOptions>>().Value,
            services.GetService<IDistributedCache>(),
            builder.HasChangeFeed ? services.GetRequiredService<IChatChangeFeed>() : HostFeed(services),
            services.GetService<ILoggerFactory>(),
            services.GetService<TimeProvider>() ?? TimeProvider.System));
        return builder.Use((inner, services) => new CachingChatSessionStore(inner, services.GetRequiredService<ChatCache>()));
    }

    // A feed the host registered itself (not through the builder), or none: the builder's own registration throws when no
    // store chose a feed.
    private static IChatChangeFeed? HostFeed(IServiceProvider services)
    {
        try
        {
            return services.GetService<IChatChangeFeed>();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

}
