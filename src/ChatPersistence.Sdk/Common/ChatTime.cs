namespace ChatPersistence.Sdk.Internal;

/// <summary>Timestamps at the precision every store keeps: UTC, whole microseconds (PostgreSQL's timestamptz).</summary>
internal static class ChatTime
{
    public static DateTimeOffset Truncate(DateTimeOffset value)
    {
        var utc = value.UtcDateTime;
        return new DateTimeOffset(utc.Ticks - (utc.Ticks % 10), TimeSpan.Zero);
    }

    public static long ToUnixMicroseconds(DateTimeOffset value) =>
        (value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    public static DateTimeOffset FromUnixMicroseconds(long microseconds) =>
        new(DateTimeOffset.UnixEpoch.UtcTicks + (microseconds * 10), TimeSpan.Zero);
}
