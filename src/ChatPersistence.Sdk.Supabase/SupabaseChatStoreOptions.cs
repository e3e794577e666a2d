namespace ChatPersistence.Sdk.Supabase;

/// <summary>
/// Where the Supabase project is and how to authenticate, bound from the <c>ChatPersistence:Supabase</c> configuration
/// section (<see cref="SectionName"/>). <see cref="ToString"/> never shows a key.
/// </summary>
/// <remarks>
/// Set <see cref="ServiceRoleKey"/> for service mode, or <see cref="AnonKey"/> and <see cref="AccessTokenProvider"/> for
/// user mode (<see cref="Mode"/> tells which one applies). Keep keys in user secrets, environment variables or a vault,
/// not in appsettings.json.
/// </remarks>
public sealed class SupabaseChatStoreOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "ChatPersistence:Supabase";

    /// <summary>The name of the <see cref="HttpClient"/> the store uses through <c>IHttpClientFactory</c>.</summary>
    public const string HttpClientName = "ChatPersistence.Supabase";

    /// <summary>The project URL, e.g. <c>https://abcdefgh.supabase.co</c> (the REST API is under <c>/rest/v1</c>).</summary>
    public Uri? Url { get; set; }

    /// <summary>The project's anon (publishable) key, sent as <c>apikey</c> in user mode.</summary>
    public string? AnonKey { get; set; }

    /// <summary>The project's service-role (secret) key; setting it selects service mode.</summary>
    public string? ServiceRoleKey { get; set; }

    /// <summary>Supplies the signed-in user's access token in user mode.</summary>
    public SupabaseAccessTokenProvider? AccessTokenProvider { get; set; }

    /// <summary>
    /// The time one attempt may take before it is abandoned and (when the resilience handler is in place) retried.
    /// Default 10 seconds.
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The time a whole call may take, retries included. Default 30 seconds.</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many times a transient failure is retried. Default 3.</summary>
    public int MaxRetryAttempts { get; set; } = 3;

    /// <summary>
    /// The delay before the first retry; later retries back off exponentially with jitter. A <c>Retry-After</c> header from
    /// the server takes precedence. Default 1 second.
    /// </summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The authentication mode these options select: service mode when a service-role key is set.</summary>
    public SupabaseAuthMode Mode => string.IsNullOrEmpty(ServiceRoleKey) ? SupabaseAuthMode.User : SupabaseAuthMode.Service;

    /// <summary>Describes the options without any key or token.</summary>
    /// <returns>The URL and the mode.</returns>
    public override string ToString() =>
        $"Supabase {Url?.ToString() ?? "(no URL)"}, {Mode} mode, keys redacted";

    /// <summary>Checks the options and returns what is wrong, or <see langword="null"/> when they are usable.</summary>
    /// <returns>An explanation of the first problem found, or <see langword="null"/>.</returns>
    public string? Validate()
    {
        if (Url is null)
        {
            return $"{SectionName}:Url is required (the project URL, e.g. https://abcdefgh.supabase.co).";
        }

        if (!Url.IsAbsoluteUri || (Url.Scheme != Uri.UriSchemeHttps && Url.Scheme != Uri.UriSchemeHttp) || !string.IsNullOrEmpty(Url.Query) || !string.IsNullOrEmpty(Url.UserInfo))
        {
            return $"{SectionName}:Url must be an absolute http(s) URL without credentials or query string.";
        }

        if (AttemptTimeout <= TimeSpan.Zero || TotalTimeout < AttemptTimeout)
        {
            return "AttemptTimeout must be positive and TotalTimeout at least AttemptTimeout.";
        }

        if (RetryDelay < TimeSpan.Zero)
        {
            return "RetryDelay must not be negative.";
        }

        if (MaxRetryAttempts is < 0 or > 10)
        {
            return "MaxRetryAttempts must be between 0 and 10.";
        }

        if (Mode == SupabaseAuthMode.Service)
        {
            return AccessTokenProvider is not null
                ? "Set either a service-role key (service mode) or an access token provider (user mode), not both."
                : null;
        }

        if (string.IsNullOrWhiteSpace(AnonKey))
        {
            return $"{SectionName}: set ServiceRoleKey for a trusted server, or AnonKey and an AccessTokenProvider to act for a signed-in user.";
        }

        return AccessTokenProvider is null
            ? "User mode needs an AccessTokenProvider that returns the signed-in user's access token."
            : null;
    }
}
