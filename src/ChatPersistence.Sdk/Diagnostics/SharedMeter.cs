using System.Diagnostics.Metrics;
using ChatPersistence.Sdk.Diagnostics;

namespace ChatPersistence.Sdk.Internal;

/// <summary>The meter used when the host registers no <see cref="IMeterFactory"/>.</summary>
internal static class SharedMeter
{
    public static Meter Instance { get; } = new(ChatPersistenceDiagnostics.MeterName);
}
