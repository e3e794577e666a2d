using System.Collections.Concurrent;

namespace ChatPersistence.Sdk.Mcp.Tests;

/// <summary>The longest tool result seen per tool (characters of the text a model reads), for the closing report.</summary>
public static class Measured
{
    private static readonly ConcurrentDictionary<string, int> Longest = new(StringComparer.Ordinal);

    public static void Record(string tool, int length) => Longest.AddOrUpdate(tool, length, (_, old) => Math.Max(old, length));

    public static int Of(string tool) => Longest.GetValueOrDefault(tool);

    public static string Report() => string.Join(", ", Longest.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}"));
}
