using System.Text.RegularExpressions;

namespace ChatPersistence.Samples.Server.Web;

/// <summary>
/// Replaces the value of every <c>access_token=</c> in a log entry — its message and its string properties (a structured
/// sink sees <c>QueryString</c>) — with <c>[redacted]</c>. Entries without one pass through unchanged.
/// </summary>
internal sealed partial class TokenRedactingLogger(ILogger inner) : ILogger
{
    public const string Redacted = "[redacted]";

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => inner.BeginScope(state);

    public bool IsEnabled(LogLevel logLevel) => inner.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!inner.IsEnabled(logLevel))
        {
            return;
        }

        var message = formatter(state, exception);
        var properties = state as IEnumerable<KeyValuePair<string, object?>>;
        if (!HasToken(message) && (properties is null || !properties.Any(p => p.Value is string text && HasToken(text))))
        {
            inner.Log(logLevel, eventId, state, exception, formatter);
            return;
        }

        var redacted = Redact(message);
        List<KeyValuePair<string, object?>> values = properties is null ? [] : [.. properties.Select(p => new KeyValuePair<string, object?>(p.Key, p.Value is string text ? Redact(text) : p.Value))];
        inner.Log(logLevel, eventId, values, exception, (_, _) => redacted);
    }

    public static string Redact(string text) => HasToken(text) ? Token().Replace(text, "$1" + Redacted) : text;

    private static bool HasToken(string text) => text.Contains("access_token=", StringComparison.OrdinalIgnoreCase);

    [GeneratedRegex("(access_token=)[^&#\\s]*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex Token();
}
