namespace ChatPersistence.Sdk.Caching;

/// <summary>
/// Settings of the caching decorator (<c>UseCaching</c>), bound from the <c>ChatPersistence:Caching</c> configuration section.
/// </summary>
/// <remarks>Read once, when the store is first resolved; changing an instance afterwards has no effect.</remarks>
public sealed class ChatCachingOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "ChatPersistence:Caching";

    /// <summary>
    /// How long a cached session or history page may be served, in memory and in the distributed tier. This host's own
    /// writes evict at once, and so do other hosts' writes once the store's change feed has delivered them; the expiration
    /// is the staleness bound only where there is no feed (a custom store), for users beyond <see cref="MaxWatchedUsers"/>,
    /// and while a feed is failing. Default 30 seconds.
    /// </summary>
    public TimeSpan Expiration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The most entries (workflow-to-session ids, sessions and history pages) kept in this process's memory. Over the limit
    /// new entries are not kept until a compaction (started at once, in the background) has removed the least recently
    /// used quarter. Default 10,000.
    /// </summary>
    public int SizeLimit { get; set; } = 10_000;

    /// <summary>
    /// The most users whose changes this process watches on the store's change feed (one watch each, about 3 KB); past it,
    /// the least recently read user's watch ends and that user's entries are evicted. Default 1,000.
    /// </summary>
    public int MaxWatchedUsers { get; set; } = 1_000;

    /// <summary>
    /// Whether a registered <c>IDistributedCache</c> (for example Redis, through <c>AddStackExchangeRedisCache</c>) is used as
    /// the second tier, shared by every host. The in-memory <c>IDistributedCache</c> is never used. Default
    /// <see langword="true"/>.
    /// </summary>
    public bool UseDistributedCache { get; set; } = true;
}
