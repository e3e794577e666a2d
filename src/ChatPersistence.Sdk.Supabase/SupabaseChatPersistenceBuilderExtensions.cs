using System.Globalization;
using ChatPersistence.Sdk;
using ChatPersistence.Sdk.Supabase;
using ChatPersistence.Sdk.Supabase.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Chooses the Supabase store for <c>AddChatPersistence()</c>.</summary>
public static class SupabaseChatPersistenceBuilderExtensions
{
    /// <summary>Uses Supabase with the options in the <c>ChatPersistence:Supabase</c> configuration section.</summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static ChatPersistenceBuilder UseSupabase(this ChatPersistenceBuilder builder) => builder.UseSupabase(null);

    /// <summary>
    /// Uses Supabase: the <c>ChatPersistence:Supabase</c> configuration section (<c>Url</c>, <c>PublishableKey</c> or
    /// <c>SecretKey</c> — legacy names <c>AnonKey</c> / <c>ServiceRoleKey</c> —, <c>Schema</c>, timeouts), then <paramref name="configure"/> (e.g. to set the access token provider for user
    /// mode). The options are validated when the host starts. Requests go through the named <see cref="HttpClient"/>
    /// <see cref="SupabaseChatStoreOptions.HttpClientName"/> from <c>IHttpClientFactory</c>, with the standard resilience
    /// handler: transient failures only (connection errors, 408, 429, 502–504, and 5xx carrying a transient SQLSTATE) are
    /// retried, honouring <c>Retry-After</c>, within a per-attempt and a total timeout.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <param name="configure">Adjusts the options after configuration binding, or <see langword="null"/>.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <remarks>
    /// To read the signed-in user's token from the current request, configure the provider through the options pattern:
    /// <c>services.AddOptions&lt;SupabaseChatStoreOptions&gt;().Configure&lt;IHttpContextAccessor&gt;((o, http) =&gt; o.AccessTokenProvider = …)</c>.
    /// </remarks>
    public static ChatPersistenceBuilder UseSupabase(this ChatPersistenceBuilder builder, Action<SupabaseChatStoreOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.AddOptions<SupabaseChatStoreOptions>()
            .Configure<IServiceProvider>((options, provider) =>
            {
                if (provider.GetService<IConfiguration>()?.GetSection(SupabaseChatStoreOptions.SectionName) is { } section)
                {
                    Bind(section, options);
                }

                configure?.Invoke(options);
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<SupabaseChatStoreOptions>, SupabaseOptionsValidator>();

        services.AddHttpClient(SupabaseChatStoreOptions.HttpClientName)
            .AddStandardResilienceHandler()
            .Configure((HttpStandardResilienceOptions resilience, IServiceProvider provider) =>
                Configure(resilience, provider.GetRequiredService<IOptions<SupabaseChatStoreOptions>>().Value));

        return builder.UseStore(provider =>
        {
            var factory = provider.GetRequiredService<IHttpClientFactory>();
            return new SupabaseChatSessionStore(
                () => factory.CreateClient(SupabaseChatStoreOptions.HttpClientName),
                provider.GetRequiredService<IOptions<SupabaseChatStoreOptions>>().Value,
                provider.GetRequiredService<IOptions<ChatPersistenceOptions>>().Value);
        });
    }

    internal static void Configure(HttpStandardResilienceOptions resilience, SupabaseChatStoreOptions options)
    {
        resilience.Retry.MaxRetryAttempts = Math.Max(options.MaxRetryAttempts, 0);
        resilience.Retry.Delay = options.RetryDelay;
        resilience.Retry.ShouldRetryAfterHeader = true;
        resilience.Retry.ShouldHandle = args => args.Outcome switch
        {
            { Exception: HttpRequestException or Polly.Timeout.TimeoutRejectedException } => ValueTask.FromResult(true),
            { Result: { } response } => SupabaseFailures.ShouldRetryAsync(response, options.MaxResponseBytes),
            _ => ValueTask.FromResult(false),
        };
        resilience.AttemptTimeout.Timeout = options.AttemptTimeout;
        resilience.TotalRequestTimeout.Timeout = options.TotalTimeout;

        // The circuit breaker's sampling window must be at least twice the attempt timeout (the handler validates this).
        var sampling = options.AttemptTimeout * 2;
        resilience.CircuitBreaker.SamplingDuration = sampling > TimeSpan.FromSeconds(30) ? sampling : TimeSpan.FromSeconds(30);
        resilience.CircuitBreaker.ShouldHandle = args => args.Outcome switch
        {
            { Exception: HttpRequestException or Polly.Timeout.TimeoutRejectedException } => ValueTask.FromResult(true),
            { Result: { } response } => SupabaseFailures.ShouldRetryAsync(response, options.MaxResponseBytes),
            _ => ValueTask.FromResult(false),
        };
    }

    private static void Bind(IConfigurationSection section, SupabaseChatStoreOptions options)
    {
        if (section[nameof(SupabaseChatStoreOptions.Url)] is { Length: > 0 } url)
        {
            options.Url = Uri.TryCreate(url, UriKind.Absolute, out var uri)
                ? uri
                : throw new OptionsValidationException(SupabaseChatStoreOptions.SectionName, typeof(SupabaseChatStoreOptions), [$"{SupabaseChatStoreOptions.SectionName}:Url is not an absolute URL."]);
        }

        // The new names win over the legacy ones when a section has both.
        options.PublishableKey = section[nameof(SupabaseChatStoreOptions.PublishableKey)] ?? section[nameof(SupabaseChatStoreOptions.AnonKey)] ?? options.PublishableKey;
        options.SecretKey = section[nameof(SupabaseChatStoreOptions.SecretKey)] ?? section[nameof(SupabaseChatStoreOptions.ServiceRoleKey)] ?? options.SecretKey;
        options.Schema = section[nameof(SupabaseChatStoreOptions.Schema)] is { Length: > 0 } schema ? schema : options.Schema;
        options.AttemptTimeout = Time(section, nameof(SupabaseChatStoreOptions.AttemptTimeout)) ?? options.AttemptTimeout;
        options.TotalTimeout = Time(section, nameof(SupabaseChatStoreOptions.TotalTimeout)) ?? options.TotalTimeout;
        options.RetryDelay = Time(section, nameof(SupabaseChatStoreOptions.RetryDelay)) ?? options.RetryDelay;
        if (int.TryParse(section[nameof(SupabaseChatStoreOptions.MaxRetryAttempts)], NumberStyles.Integer, CultureInfo.InvariantCulture, out var retries))
        {
            options.MaxRetryAttempts = retries;
        }

        if (int.TryParse(section[nameof(SupabaseChatStoreOptions.MaxResponseBytes)], NumberStyles.Integer, CultureInfo.InvariantCulture, out var maxResponseBytes))
        {
            options.MaxResponseBytes = maxResponseBytes;
        }
    }

    private static TimeSpan? Time(IConfigurationSection section, string key) =>
        TimeSpan.TryParse(section[key], CultureInfo.InvariantCulture, out var value) ? value : null;
}
