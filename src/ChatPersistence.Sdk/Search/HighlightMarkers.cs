using System.Text;

namespace ChatPersistence.Sdk.Internal;

/// <summary>
/// Stores that build snippets in the database (FTS5 <c>snippet()</c>, PostgreSQL <c>ts_headline</c>) wrap matches in
/// two private-use characters; this turns such text into a plain snippet and highlight spans. Private-use characters
/// already present in the message are dropped from the snippet so they cannot be mistaken for markers.
/// </summary>
internal static class HighlightMarkers
{
    public const char Start = '\uE000';
    public const char End = '\uE001';

    public static (string Snippet, IReadOnlyList<ChatTextSpan> Highlights) Parse(string marked)
    {
        var builder = new StringBuilder(marked.Length);
        var highlights = new List<ChatTextSpan>();
        var open = -1;
        foreach (var c in marked)
        {
            if (c == Start)
            {
                open = builder.Length;
            }
            else if (c == End)
            {
                if (open >= 0 && builder.Length > open)
                {
                    highlights.Add(new ChatTextSpan(open, builder.Length - open));
                }

                open = -1;
            }
            else
            {
                builder.Append(c);
            }
        }

        return (builder.ToString(), highlights);
    }
}
