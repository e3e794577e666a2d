namespace ChatPersistence.Sdk.Caching;

/// <summary>
/// Settings of the caching decorator (<c>UseCaching</c>), bound from the <c>ChatPersistence:Caching</c> configuration section.
/// </summary>
public sealed class ChatCachingOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "ChatPersistence:Caching";

    /// <summary>
    /// How long a cached session or history page may be served. This is the staleness bound for writes made by
    /// <em>other</em> hosts (or by other store instances); this host's own writes invalidate the cache at once. Default 30 seconds.
    /// </summary>
    public TimeSpan Expiration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The most entries (sessions and history pages) kept; the least recently used go first. Default 10,000.</summary>
    public int SizeLimit { get; set; } = 10_000;
}
