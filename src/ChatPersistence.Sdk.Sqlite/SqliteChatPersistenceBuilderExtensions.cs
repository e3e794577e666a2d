using ChatPersistence.Sdk;
using ChatPersistence.Sdk.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Chooses the embedded SQLite store for <c>AddChatPersistence()</c>.</summary>
public static class SqliteChatPersistenceBuilderExtensions
{
    /// <summary>
    /// Uses a local SQLite file. <paramref name="pathOrConnectionString"/> is a file path, or a connection string when it contains
    /// <c>=</c>; when <see langword="null"/>, the <c>ChatPersistence:Sqlite</c> configuration section (<c>Path</c>,
    /// <c>ConnectionString</c>, <c>BusyTimeout</c>) applies, and then <see cref="SqliteChatStoreOptions.DefaultPath"/>.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="pathOrConnectionString">A file path or a connection string, or <see langword="null"/>.</param>
    /// <param name="configure">Adjusts the options after configuration binding.</param>
    /// <returns>The builder. The store is also the <see cref="ChatPersistence.Sdk.ChangeFeed.IChatChangeFeed"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static ChatPersistenceBuilder UseSqlite(this ChatPersistenceBuilder builder, string? pathOrConnectionString = null, Action<SqliteChatStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<SqliteChatStoreOptions>()
            .Configure<IServiceProvider>((options, services) =>
            {
                services.GetService<IConfiguration>()?.GetSection(SqliteChatStoreOptions.SectionName).Bind(options);
                if (!string.IsNullOrWhiteSpace(pathOrConnectionString))
                {
                    if (pathOrConnectionString.Contains('=', StringComparison.Ordinal))
                    {
                        options.ConnectionString = pathOrConnectionString;
                    }
                    else
                    {
                        options.Path = pathOrConnectionString;
                    }
                }

                configure?.Invoke(options);
            })
            .Validate(o => o.BusyTimeout > TimeSpan.Zero, "ChatPersistence:Sqlite:BusyTimeout must be positive.")
            .ValidateOnStart();
        builder.Services.TryAddSingleton(services => new SqliteChatSessionStore(
            services.GetRequiredService<IOptions<SqliteChatStoreOptions>>().Value,
            services.GetRequiredService<IOptions<ChatPersistenceOptions>>().Value,
            services.GetRequiredService<TimeProvider>()));
        return builder
            .UseStore(services => services.GetRequiredService<SqliteChatSessionStore>())
            .UseChangeFeed(services => services.GetRequiredService<SqliteChatSessionStore>());
    }
}
