using System.Globalization;

namespace ChatPersistence.Sdk.Mcp.Internal;

/// <summary>Cuts texts to a budget measured as JSON (escapes count), never inside a surrogate pair.</summary>
internal static class TextBudget
{
    /// <summary>Appended to a cut text.</summary>
    public const string Ellipsis = "…";

    /// <summary>
    /// <paramref name="text"/> when its JSON form (quotes included) has at most <paramref name="maxEncoded"/> characters; otherwise
    /// its longest prefix that fits with <see cref="Ellipsis"/> appended, and <paramref name="truncated"/> set.
    /// </summary>
    public static string Cut(string text, int maxEncoded, out bool truncated)
    {
        truncated = false;
        if (text.Length + 2 <= maxEncoded && ToolJson.EncodedLength(text) <= maxEncoded)
        {
            return text;
        }

        truncated = true;
        var room = maxEncoded - 2 - Ellipsis.Length;

        // Every character encodes to at least one character, so the answer is at most `room` characters long: search the prefix length.
        int low = 0, high = Math.Min(text.Length, Math.Max(0, room));
        while (low < high)
        {
            var mid = (low + high + 1) / 2;
            if (ToolJson.EncodedLength(Prefix(text, mid)) - 2 <= room)
            {
                low = mid;
            }
            else
            {
                high = mid - 1;
            }
        }

        return Prefix(text, low) + Ellipsis;
    }

    /// <summary>The first <paramref name="length"/> characters, one fewer when that would split a surrogate pair.</summary>
    private static string Prefix(string text, int length)
    {
        if (length > 0 && length < text.Length && char.IsHighSurrogate(text[length - 1]))
        {
            length--;
        }

        return text[..length];
    }

    /// <summary>A time as the tools write it: UTC, ISO 8601, to the second.</summary>
    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
