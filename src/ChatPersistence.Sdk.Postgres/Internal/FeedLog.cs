using Microsoft.Extensions.Logging;

namespace ChatPersistence.Sdk.Postgres.Internal;

/// <summary>The change feed's log messages.</summary>
internal static partial class FeedLog
{
    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Chat change feed listening (caught up {Count} changes)")]
    public static partial void Listening(ILogger logger, int count);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Chat change feed lost its connection; reconnecting in {Delay}")]
    public static partial void Reconnecting(ILogger logger, Exception exception, TimeSpan delay);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Chat change feed could not prune old changes")]
    public static partial void PruneFailed(ILogger logger, Exception exception);
}
