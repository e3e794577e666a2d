using ChatPersistence.Sdk;
using ChatPersistence.Sdk.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Chooses the PostgreSQL store for <c>AddChatPersistence()</c>.</summary>
public static class PostgresChatPersistenceBuilderExtensions
{
    /// <summary>Uses PostgreSQL in service mode with the <c>ChatPersistence:Postgres</c> configuration section.</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static ChatPersistenceBuilder UsePostgres(this ChatPersistenceBuilder builder) => builder.UsePostgres((string?)null, null);

    /// <summary>Uses PostgreSQL in service mode with a connection string.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="connectionString">The connection string.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static ChatPersistenceBuilder UsePostgres(this ChatPersistenceBuilder builder, string connectionString) => builder.UsePostgres(connectionString, null);

    /// <summary>
    /// Uses PostgreSQL through Npgsql with a connection string (or, when <see langword="null"/>, the
    /// <c>ChatPersistence:Postgres:ConnectionString</c> setting). Apply the migrations first (<see cref="ChatPersistenceMigrations"/>).
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="connectionString">The connection string, or <see langword="null"/> to read it from configuration.</param>
    /// <param name="configure">Adjusts the options (e.g. user mode) after configuration binding.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static ChatPersistenceBuilder UsePostgres(this ChatPersistenceBuilder builder, string? connectionString, Action<PostgresChatStoreOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<PostgresChatStoreOptions>()
            .Configure<IServiceProvider>((options, services) =>
            {
                var section = services.GetService<IConfiguration>()?.GetSection(PostgresChatStoreOptions.SectionName);
                if (section is not null)
                {
                    options.ConnectionString = section[nameof(PostgresChatStoreOptions.ConnectionString)] ?? options.ConnectionString;
                    if (bool.TryParse(section[nameof(PostgresChatStoreOptions.ActAsAuthenticatedUser)], out var actAsUser))
                    {
                        options.ActAsAuthenticatedUser = actAsUser;
                    }
                }

                if (!string.IsNullOrWhiteSpace(connectionString))
                {
                    options.ConnectionString = connectionString;
                }

                configure?.Invoke(options);
            })
            .Validate(o => !string.IsNullOrWhiteSpace(o.ConnectionString), "ChatPersistence:Postgres:ConnectionString is required for UsePostgres().")
            .ValidateOnStart();
        AddFeedOptions(builder);
        return builder
            .UseStore(services =>
            {
                var options = services.GetRequiredService<IOptions<PostgresChatStoreOptions>>().Value;
                return new PostgresChatSessionStore(options.ConnectionString!, options, services.GetRequiredService<IOptions<ChatPersistenceOptions>>().Value);
            })
            .UseChangeFeed(services =>
            {
                var feedOptions = services.GetRequiredService<IOptions<PostgresChatChangeFeedOptions>>().Value;
                var connection = feedOptions.ConnectionString ?? services.GetRequiredService<IOptions<PostgresChatStoreOptions>>().Value.ConnectionString!;
                return new PostgresChatChangeFeed(connection, feedOptions, services.GetService<ILogger<PostgresChatChangeFeed>>());
            });
    }

    /// <summary>Uses PostgreSQL in service mode through a data source the application owns (and disposes).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="dataSource">The data source.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static ChatPersistenceBuilder UsePostgres(this ChatPersistenceBuilder builder, NpgsqlDataSource dataSource) => builder.UsePostgres(dataSource, null);

    /// <summary>Uses PostgreSQL through a data source the application owns (and disposes).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="dataSource">The data source.</param>
    /// <param name="configure">Adjusts the options (e.g. user mode), or <see langword="null"/>.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static ChatPersistenceBuilder UsePostgres(this ChatPersistenceBuilder builder, NpgsqlDataSource dataSource, Action<PostgresChatStoreOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dataSource);
        var options = new PostgresChatStoreOptions();
        configure?.Invoke(options);
        AddFeedOptions(builder);
        return builder
            .UseStore(services => new PostgresChatSessionStore(dataSource, options, services.GetRequiredService<IOptions<ChatPersistenceOptions>>().Value))
            .UseChangeFeed(services =>
            {
                var feedOptions = services.GetRequiredService<IOptions<PostgresChatChangeFeedOptions>>().Value;
                var logger = services.GetService<ILogger<PostgresChatChangeFeed>>();
                return feedOptions.ConnectionString is { Length: > 0 } connection
                    ? new PostgresChatChangeFeed(connection, feedOptions, logger)
                    : new PostgresChatChangeFeed(dataSource, feedOptions, logger);
            });
    }

    // The change feed's listener (IChatChangeFeed): its own connection string when the store's goes through a
    // transaction-mode pooler, from ChatPersistence:Postgres:ChangeFeed. It connects when first watched or started.
    private static void AddFeedOptions(ChatPersistenceBuilder builder) =>
        builder.Services.AddOptions<PostgresChatChangeFeedOptions>()
            .Configure<IServiceProvider>((options, services) =>
            {
                var section = services.GetService<IConfiguration>()?.GetSection(PostgresChatChangeFeedOptions.SectionName);
                if (section?[nameof(PostgresChatChangeFeedOptions.ConnectionString)] is { Length: > 0 } connection)
                {
                    options.ConnectionString = connection;
                }
            });
}
