namespace ChatPersistence.Sdk.Internal;

/// <summary>A cached value with the user and global generations it was read under, and its expiry.</summary>
internal readonly record struct CacheEntry(string Key, object Value, long UserGeneration, long GlobalGeneration, DateTimeOffset ExpiresAt);
