using System.Text.Json;

namespace ChatPersistence.Sdk.Supabase;

/// <summary>
/// Where the Supabase project is and how to authenticate, bound from the <c>ChatPersistence:Supabase</c> configuration
/// section (<see cref="SectionName"/>). <see cref="ToString"/> never shows a key.
/// </summary>
/// <remarks>
/// <para>
/// Set <see cref="SecretKey"/> (<c>sb_secret_…</c>) for service mode, or <see cref="PublishableKey"/>
/// (<c>sb_publishable_…</c>) and <see cref="AccessTokenProvider"/> for user mode (<see cref="Mode"/> tells which one applies).
/// Projects that still use the legacy JWT keys set <see cref="ServiceRoleKey"/> or <see cref="AnonKey"/> instead: they are
/// the same two settings under their old names. Keep keys in user secrets, environment variables or a vault, not in
/// appsettings.json.
/// </para>
/// <para>Not thread-safe while being configured; treat an instance as read-only once a store uses it.</para>
/// </remarks>
public sealed class SupabaseChatStoreOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "ChatPersistence:Supabase";

    /// <summary>The name of the <see cref="HttpClient"/> the store uses through <c>IHttpClientFactory</c>.</summary>
    public const string HttpClientName = "ChatPersistence.Supabase";

    /// <summary>The prefix of Supabase's publishable API keys (low privilege, the <c>anon</c> role).</summary>
    public const string PublishableKeyPrefix = "sb_publishable_";

    /// <summary>The prefix of Supabase's secret API keys (elevated, the <c>service_role</c> role).</summary>
    public const string SecretKeyPrefix = "sb_secret_";

    /// <summary>The default of <see cref="MaxResponseBytes"/>: 64 MiB.</summary>
    public const int DefaultMaxResponseBytes = 64 * 1024 * 1024;

    /// <summary>The project URL, e.g. <c>https://abcdefgh.supabase.co</c> (the REST API is under <c>/rest/v1</c>).</summary>
    public Uri? Url { get; set; }

    /// <summary>
    /// The project's publishable key (<c>sb_publishable_…</c>, or the legacy <c>anon</c> JWT key), sent as <c>apikey</c> in
    /// user mode. Safe to ship in an app: with it a request can do only what Row Level Security lets the signed-in user do.
    /// </summary>
    public string? PublishableKey { get; set; }

    /// <summary>
    /// The project's secret key (<c>sb_secret_…</c>, or the legacy <c>service_role</c> JWT key); setting it selects service
    /// mode. It bypasses Row Level Security: keep it on trusted servers only.
    /// </summary>
    public string? SecretKey { get; set; }

    /// <summary>The legacy name of <see cref="PublishableKey"/> (the <c>anon</c> JWT key); both name the same setting.</summary>
    public string? AnonKey
    {
        get => PublishableKey;
        set => PublishableKey = value;
    }

    /// <summary>The legacy name of <see cref="SecretKey"/> (the <c>service_role</c> JWT key); both name the same setting.</summary>
    public string? ServiceRoleKey
    {
        get => SecretKey;
        set => SecretKey = value;
    }

    /// <summary>
    /// The database schema that holds the chat functions, sent as <c>Content-Profile</c> and <c>Accept-Profile</c> on every
    /// call. It must be one of the project's "Exposed schemas" (Data API settings). Default <c>public</c>.
    /// </summary>
    public string Schema { get; set; } = "public";

    /// <summary>Supplies the signed-in user's access token in user mode.</summary>
    public SupabaseAccessTokenProvider? AccessTokenProvider { get; set; }

    /// <summary>
    /// The time one attempt may take before it is abandoned and (when the resilience handler is in place) retried.
    /// Default 10 seconds, above Supabase's 8-second statement timeout for signed-in users, so a slow statement ends with
    /// the database's own error rather than an abandoned attempt.
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

    /// <summary>
    /// The largest answer body the store reads, in bytes; a larger one (announced by <c>Content-Length</c> or found while
    /// reading) ends the call with <see cref="SupabaseResponseTooLargeException"/>, so a misbehaving gateway or a huge page
    /// cannot take more memory than this. Between 1 KiB and 1 GiB. Default <see cref="DefaultMaxResponseBytes"/> (64 MiB),
    /// far above any page the store asks for (a page of 1,000 messages of a few KB each is a few MB).
    /// </summary>
    public int MaxResponseBytes { get; set; } = DefaultMaxResponseBytes;

    /// <summary>The authentication mode these options select: service mode when a secret key is set.</summary>
    public SupabaseAuthMode Mode => string.IsNullOrEmpty(SecretKey) ? SupabaseAuthMode.User : SupabaseAuthMode.Service;

    /// <summary>Describes the options without any key or token.</summary>
    /// <returns>The URL, the mode and the schema.</returns>
    public override string ToString() =>
        $"Supabase {Url?.ToString() ?? "(no URL)"}, {Mode} mode, schema {Schema}, keys redacted";

    /// <summary>Checks the options and returns what is wrong, or <see langword="null"/> when they are usable.</summary>
    /// <returns>An explanation of the first problem found, or <see langword="null"/>. It never contains a key.</returns>
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

        if (string.IsNullOrWhiteSpace(Schema) || Schema.Length > 63 || Schema.Any(c => char.IsControl(c) || c is '"' or ',' || char.IsWhiteSpace(c)))
        {
            return $"{SectionName}:Schema must name one of the project's exposed schemas (default public).";
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

        if (MaxResponseBytes is < 1024 or > 1024 * 1024 * 1024)
        {
            return $"{SectionName}:MaxResponseBytes must be between 1024 (1 KiB) and 1073741824 (1 GiB); the default is {DefaultMaxResponseBytes} (64 MiB).";
        }

        if (Mode == SupabaseAuthMode.Service)
        {
            if (KeyRole(SecretKey!) == "anon")
            {
                return $"{SectionName}:SecretKey (ServiceRoleKey) holds a publishable (anon) key. Service mode needs the project's secret key " +
                    $"({SecretKeyPrefix}…, or the legacy service_role key); to act for a signed-in user set PublishableKey and an AccessTokenProvider instead.";
            }

            return AccessTokenProvider is not null
                ? "Set either a secret key (service mode) or an access token provider (user mode), not both."
                : null;
        }

        if (string.IsNullOrWhiteSpace(PublishableKey))
        {
            return $"{SectionName}: set SecretKey for a trusted server, or PublishableKey and an AccessTokenProvider to act for a signed-in user " +
                "(legacy projects: ServiceRoleKey or AnonKey).";
        }

        if (KeyRole(PublishableKey) == "service_role")
        {
            return $"{SectionName}:PublishableKey (AnonKey) holds a secret (service_role) key. User mode sends its key from where users run it: use the " +
                $"publishable key ({PublishableKeyPrefix}…, or the legacy anon key); a trusted server that names users itself sets SecretKey instead.";
        }

        return AccessTokenProvider is null
            ? "User mode needs an AccessTokenProvider that returns the signed-in user's access token."
            : null;
    }

    /// <summary>Whether <paramref name="key"/> is one of Supabase's opaque <c>sb_</c> keys (not a legacy JWT key).</summary>
    internal static bool IsOpaqueKey(string key) =>
        key.StartsWith(PublishableKeyPrefix, StringComparison.Ordinal) || key.StartsWith(SecretKeyPrefix, StringComparison.Ordinal);

    /// <summary>
    /// The role a key stands for: from the prefix of an <c>sb_</c> key, or from the <c>role</c> claim of a legacy JWT key
    /// (read, not verified: only to catch a key set in the wrong place); <see langword="null"/> when it cannot be told.
    /// </summary>
    internal static string? KeyRole(string key)
    {
        if (key.StartsWith(PublishableKeyPrefix, StringComparison.Ordinal))
        {
            return "anon";
        }

        if (key.StartsWith(SecretKeyPrefix, StringComparison.Ordinal))
        {
            return "service_role";
        }

        var parts = key.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]));
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String
                ? role.GetString()
                : null;
        }
        catch (Exception ex) when (ex is FormatException or JsonException or ArgumentException)
        {
            return null;
        }
    }
}
