namespace ChatPersistence.Samples.Server.Web;

/// <summary>
/// The host's <see cref="ILoggerFactory"/> with the loggers of ASP.NET Core's own categories (<c>Microsoft.AspNetCore.*</c>)
/// wrapped in <see cref="TokenRedactingLogger"/>. Browsers cannot set headers on a WebSocket, so the socket URL carries
/// <c>access_token</c>; with <c>Logging:LogLevel:Microsoft.AspNetCore</c> at Information, hosting logs every request URL
/// ("Request starting … /ws/chat?…&amp;access_token=…") before any middleware runs. Wrapping the factory reaches that log
/// whatever the providers (console, OpenTelemetry) and keeps their configuration and filters as they are.
/// </summary>
internal sealed class TokenRedactingLoggerFactory(ILoggerFactory inner) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName)
    {
        var logger = inner.CreateLogger(categoryName);
        return categoryName.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) ? new TokenRedactingLogger(logger) : logger;
    }

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    // The container owns the inner factory and disposes it.
    public void Dispose()
    {
    }
}
