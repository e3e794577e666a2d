using ChatPersistence.Sdk.Retention;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the chat retention hosted service.</summary>
public static class ChatRetentionServiceCollectionExtensions
{
    /// <summary>
    /// Adds <see cref="ChatRetentionService"/>, which deletes idle sessions on a schedule, with options bound from
    /// <c>ChatPersistence:Retention</c> (when an <see cref="IConfiguration"/> is registered), then <paramref name="configure"/>,
    /// validated at start-up. Requires a store (<c>AddChatPersistence().Use…()</c>) allowed to run retention.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Adjusts the options, or <see langword="null"/>.</param>
    /// <returns>The service collection.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    public static IServiceCollection AddChatRetention(this IServiceCollection services, Action<ChatRetentionOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<ChatRetentionOptions>()
            .Configure<IServiceProvider>((options, sp) =>
            {
                sp.GetService<IConfiguration>()?.GetSection(ChatRetentionOptions.SectionName).Bind(options);
                configure?.Invoke(options);
            })
            .Validate(o => o.MaxIdle >= TimeSpan.FromMinutes(1), "ChatPersistence:Retention:MaxIdle must be at least 1 minute.")
            .Validate(o => o.Interval >= TimeSpan.FromSeconds(1), "ChatPersistence:Retention:Interval must be at least 1 second.")
            .Validate(o => o.BatchSize is >= 1 and <= 10_000, "ChatPersistence:Retention:BatchSize must be between 1 and 10000.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<ChatRetentionService>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ChatRetentionService>(sp => sp.GetRequiredService<ChatRetentionService>()));
        return services;
    }
}
