namespace ChatPersistence.Sdk.Diagnostics;

/// <summary>
/// The names under which the telemetry and logging decorators report (<c>UseTelemetry()</c>, <c>UseLogging()</c>). Wire
/// them into OpenTelemetry with <c>.WithTracing(t =&gt; t.AddSource(ChatPersistenceDiagnostics.ActivitySourceName))</c> and
/// <c>.WithMetrics(m =&gt; m.AddMeter(ChatPersistenceDiagnostics.MeterName))</c>.
/// </summary>
public static class ChatPersistenceDiagnostics
{
    /// <summary>The <see cref="System.Diagnostics.ActivitySource"/> name: one client span per store operation.</summary>
    public const string ActivitySourceName = "ChatPersistence.Sdk";

    /// <summary>The <see cref="System.Diagnostics.Metrics.Meter"/> name.</summary>
    public const string MeterName = "ChatPersistence.Sdk";

    /// <summary>The logger category of the logging decorator.</summary>
    public const string LoggerCategory = "ChatPersistence.Sdk";

    /// <summary>Histogram of operation durations in seconds (OpenTelemetry database client semantic conventions).</summary>
    public const string OperationDurationInstrument = "db.client.operation.duration";

    /// <summary>Counter of messages returned by successful appends (new or already stored).</summary>
    public const string MessagesAppendedInstrument = "chatpersistence.messages.appended";

    /// <summary>Counter of failed operations, tagged with <c>error.type</c>.</summary>
    public const string ErrorsInstrument = "chatpersistence.operation.errors";
}
