using System.Diagnostics.Metrics;
using ChatPersistence.Sdk;
using ChatPersistence.Sdk.Diagnostics;
using ChatPersistence.Sdk.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>
/// The diagnostic decorators <c>AddChatPersistence()</c> offers: telemetry and logging (caching comes with the
/// ChatPersistence.Sdk.Caching package). They compose in the order added — the first added is the outermost, as in
/// Microsoft.Extensions.AI's <c>ChatClientBuilder</c> — so <c>.UseLogging().UseTelemetry().UseCaching()</c> logs and traces
/// every call, including cache hits.
/// </summary>
public static class ChatPersistenceBuilderDecoratorExtensions
{
    /// <summary>
    /// Adds OpenTelemetry-style tracing and metrics: a client span per operation from the
    /// <see cref="ChatPersistenceDiagnostics.ActivitySourceName"/> source, and the <c>db.client.operation.duration</c>
    /// histogram plus append and error counters on the <see cref="ChatPersistenceDiagnostics.MeterName"/> meter (created through
    /// the registered <see cref="IMeterFactory"/> when there is one).
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static ChatPersistenceBuilder UseTelemetry(this ChatPersistenceBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) => new TelemetryChatSessionStore(
            inner,
            services.GetService<IMeterFactory>()?.Create(ChatPersistenceDiagnostics.MeterName) ?? SharedMeter.Instance));
    }

    /// <summary>
    /// Logs every operation (category <see cref="ChatPersistenceDiagnostics.LoggerCategory"/>) with stable event ids: completion
    /// and appends at Debug, not-found at Information, rejected input and transient failures at Warning, other failures at
    /// Error; message text and metadata only at Trace.
    /// </summary>
    /// <param name="builder">The builder.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static ChatPersistenceBuilder UseLogging(this ChatPersistenceBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) => new LoggingChatSessionStore(
            inner,
            services.GetService<ILoggerFactory>()?.CreateLogger(ChatPersistenceDiagnostics.LoggerCategory) ?? NullLogger.Instance));
    }
}
