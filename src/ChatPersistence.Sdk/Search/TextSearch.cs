using System.Globalization;
using System.Text;

namespace ChatPersistence.Sdk.Internal;

/// <summary>
/// The reference search semantics (used by the in-memory store): words are runs of letters and digits, folded to lower
/// case without diacritics; every query word must match a stored word exactly, or as a prefix when it ends with '*'.
/// </summary>
internal static class TextSearch
{
    private const int SnippetWordsBefore = 8;
    private const int SnippetWords = 24;

    internal readonly record struct Term(string Text, bool Prefix);

    internal readonly record struct Word(int Start, int Length, string Folded);

    public static IReadOnlyList<Term> ParseQuery(string query)
    {
        var terms = new List<Term>();
        foreach (var word in Words(query))
        {
            var end = word.Start + word.Length;
            var prefix = end < query.Length && query[end] == '*';
            if (!terms.Contains(new Term(word.Folded, prefix)))
            {
                terms.Add(new Term(word.Folded, prefix));
            }
        }

        return terms;
    }

    public static List<Word> Words(string text)
    {
        var words = new List<Word>();
        var i = 0;
        while (i < text.Length)
        {
            if (!IsWordChar(text, i, out var width))
            {
                i += Math.Max(width, 1);
                continue;
            }

            var start = i;
            while (i < text.Length && IsWordChar(text, i, out width))
            {
                i += width;
            }

            words.Add(new Word(start, i - start, Fold(text.AsSpan(start, i - start))));
        }

        return words;
    }

    public static bool Matches(string folded, Term term) =>
        term.Prefix ? folded.StartsWith(term.Text, StringComparison.Ordinal) : folded == term.Text;

    /// <summary>Scores a text: null when some term does not match, otherwise a rank (more matches, shorter text: higher).</summary>
    public static double? Rank(List<Word> words, IReadOnlyList<Term> terms)
    {
        var hits = 0;
        foreach (var term in terms)
        {
            var termHits = 0;
            foreach (var word in words)
            {
                if (Matches(word.Folded, term))
                {
                    termHits++;
                }
            }

            if (termHits == 0)
            {
                return null;
            }

            hits += termHits;
        }

        return hits / (1.0 + Math.Log(1 + words.Count));
    }

    public static (string Snippet, IReadOnlyList<ChatTextSpan> Highlights) Snippet(string text, List<Word> words, IReadOnlyList<Term> terms)
    {
        var first = words.FindIndex(w => terms.Any(t => Matches(w.Folded, t)));
        var from = Math.Max(0, first - SnippetWordsBefore);
        var to = Math.Min(words.Count, from + SnippetWords);
        var start = from == 0 ? 0 : words[from].Start;
        var end = to == words.Count ? text.Length : words[to - 1].Start + words[to - 1].Length;
        var prefix = start > 0 ? "…" : string.Empty;
        var builder = new StringBuilder(prefix).Append(text, start, end - start);
        if (end < text.Length)
        {
            builder.Append('…');
        }

        var highlights = new List<ChatTextSpan>();
        for (var i = from; i < to; i++)
        {
            if (terms.Any(t => Matches(words[i].Folded, t)))
            {
                highlights.Add(new ChatTextSpan(words[i].Start - start + prefix.Length, words[i].Length));
            }
        }

        return (builder.ToString(), highlights);
    }

    public static string Fold(ReadOnlySpan<char> text)
    {
        var decomposed = text.ToString().Normalize(NormalizationForm.FormD);
        var builder = new StringBuilder(decomposed.Length);
        foreach (var c in decomposed)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.NonSpacingMark)
            {
                builder.Append(c);
            }
        }

        return builder.ToString().Normalize(NormalizationForm.FormC).ToLowerInvariant();
    }

    private static bool IsWordChar(string text, int index, out int width)
    {
        if (Rune.TryGetRuneAt(text, index, out var rune))
        {
            width = rune.Utf16SequenceLength;
            return Rune.IsLetterOrDigit(rune) || Rune.GetUnicodeCategory(rune) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;
        }

        width = 1;
        return false;
    }
}
