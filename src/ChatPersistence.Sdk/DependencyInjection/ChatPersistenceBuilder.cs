using ChatPersistence.Sdk.ChangeFeed;
using Microsoft.Extensions.DependencyInjection;

namespace ChatPersistence.Sdk;

/// <summary>
/// Configures the <see cref="IChatSessionStore"/> that <c>AddChatPersistence</c> registers: one store (the last
/// <see cref="UseStore"/> wins) wrapped by decorators in the order they were added, the first added being the outermost.
/// </summary>
/// <remarks>Store packages extend this builder (<c>UseInMemory</c>, <c>UseSqlite</c>, <c>UsePostgres</c>, <c>UseSupabase</c>). Not thread-safe: configure it at start-up.</remarks>
public sealed class ChatPersistenceBuilder
{
    private readonly List<Func<IChatSessionStore, IServiceProvider, IChatSessionStore>> _decorators = [];
    private Func<IServiceProvider, IChatSessionStore>? _storeFactory;
    private Func<IServiceProvider, IChatChangeFeed>? _feedFactory;

    internal ChatPersistenceBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection the persistence services are registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Whether a store has been chosen with <see cref="UseStore"/>.</summary>
    public bool HasStore => _storeFactory is not null;

    /// <summary>Chooses the store. Calling it again replaces the previous choice.</summary>
    /// <param name="storeFactory">Creates the store from the application's services (called once: the store is a singleton).</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="storeFactory"/> is <see langword="null"/>.</exception>
    public ChatPersistenceBuilder UseStore(Func<IServiceProvider, IChatSessionStore> storeFactory)
    {
        ArgumentNullException.ThrowIfNull(storeFactory);
        _storeFactory = storeFactory;
        return this;
    }

    /// <summary>
    /// Chooses the <see cref="IChatChangeFeed"/> that <c>AddChatPersistence</c> registers (store packages call it for their
    /// store). Calling it again replaces the previous choice.
    /// </summary>
    /// <param name="feedFactory">Creates the feed from the application's services (called once: the feed is a singleton).</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="feedFactory"/> is <see langword="null"/>.</exception>
    public ChatPersistenceBuilder UseChangeFeed(Func<IServiceProvider, IChatChangeFeed> feedFactory)
    {
        ArgumentNullException.ThrowIfNull(feedFactory);
        _feedFactory = feedFactory;
        return this;
    }

    /// <summary>Adds a decorator around the store (caching, telemetry…). The first added is the outermost.</summary>
    /// <param name="decorator">Wraps the inner store.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="decorator"/> is <see langword="null"/>.</exception>
    public ChatPersistenceBuilder Use(Func<IChatSessionStore, IServiceProvider, IChatSessionStore> decorator)
    {
        ArgumentNullException.ThrowIfNull(decorator);
        _decorators.Add(decorator);
        return this;
    }

    /// <summary>Whether a store (or the host) chose a change feed, so resolving <see cref="IChatChangeFeed"/> succeeds.</summary>
    internal bool HasChangeFeed => _feedFactory is not null;

    internal IChatChangeFeed BuildFeed(IServiceProvider services)
    {
        var factory = _feedFactory ?? throw new InvalidOperationException(
            "The chosen chat store has no change feed. UseInMemory(), UseSqlite() and UsePostgres() come with one; a Supabase " +
            "host over HTTP gets the feed through a PostgreSQL connection (UsePostgresChangeFeed) or Supabase Realtime — see docs/supabase.md.");
        return factory(services) ?? throw new InvalidOperationException("The chat change feed factory returned null.");
    }

    internal IChatSessionStore Build(IServiceProvider services)
    {
        var factory = _storeFactory ?? throw new InvalidOperationException(
            "No chat store was chosen. Call a store method on the builder AddChatPersistence() returns, e.g. " +
            "services.AddChatPersistence().UseInMemory(), .UseSqlite(...), .UsePostgres(...) or .UseSupabase(...).");
        var store = factory(services) ?? throw new InvalidOperationException("The chat store factory returned null.");
        for (var i = _decorators.Count - 1; i >= 0; i--)
        {
            store = _decorators[i](store, services) ?? throw new InvalidOperationException("A chat store decorator returned null.");
        }

        return store;
    }
}
