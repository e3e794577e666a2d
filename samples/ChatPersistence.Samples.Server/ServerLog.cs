namespace ChatPersistence.Samples.Server;

/// <summary>The server's source-generated log messages (one line each: no message content, no token, no stack trace).</summary>
internal static partial class ServerLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Warning, Message = "Development tokens are enabled (POST /dev/token, Development environment, no Auth configured): set Auth:SupabaseUrl and/or Auth:JwtSecret to accept Supabase access tokens instead.")]
    public static partial void DevTokensEnabled(ILogger logger);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "A chat frame was refused: {Code} ({ErrorType}: {Reason}); {Suppressed} similar line(s) suppressed before this one")]
    public static partial void FrameFailed(ILogger logger, string code, string errorType, string reason, long suppressed);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "A request was refused with {Status}: {Method} {Path}: {Reason}")]
    public static partial void RequestRefused(ILogger logger, int status, string method, string path, string reason);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "The per-user limits shared through {Mode} cannot be reached ({Reason}): each instance counts on its own until it answers (at most one line per 30 s)")]
    public static partial void SharedLimitsUnreachable(ILogger logger, string mode, string reason);
}
