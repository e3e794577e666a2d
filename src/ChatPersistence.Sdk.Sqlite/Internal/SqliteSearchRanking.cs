using ChatPersistence.Sdk.Internal;

namespace ChatPersistence.Sdk.Sqlite.Internal;

/// <summary>
/// FTS5's <c>bm25</c> computed by the store for the rows of one block, for queries with a word in so many messages that
/// FTS5's own count of them (once per query, over the word's whole list in the index) would cost what the matches cost.
/// Same formula and constants as FTS5 (k1 = 1.2, b = 0.75, one column of weight 1, an IDF of at most zero raised to
/// 1e-6); the inputs come from FTS5's own tables: the row count and total tokens from its averages record, each row's
/// token count from its docsize table, each word's occurrences in a row from <c>highlight()</c>'s markers, and each
/// word's document count counted up to <see cref="CountCap"/> and estimated beyond it.
/// </summary>
internal static class SqliteSearchRanking
{
    /// <summary>How many of a word's messages are counted (newest first) before its document count is estimated.</summary>
    internal const int CountCap = 10_000;

    private const double K1 = 1.2;
    private const double B = 0.75;

    /// <summary>The marker <c>highlight()</c> puts before each occurrence (the private-use character the snippets use too).</summary>
    internal const char Open = '\uE000';

    /// <summary>The marker <c>highlight()</c> puts after each occurrence.</summary>
    internal const char Close = '\uE001';

    /// <summary>
    /// A word's document count: exact when under <paramref name="cap"/>; otherwise estimated from the newest
    /// <paramref name="cap"/> messages holding it (<paramref name="capRowid"/> is the oldest of them): the word is taken to
    /// be as frequent in the whole index as among the rowids they span, so the count is cap × (the index's rowid range) /
    /// (their rowid range), kept between <paramref name="cap"/> and <paramref name="rows"/>.
    /// </summary>
    internal static double DocumentCount(long counted, int cap, long capRowid, long minRowid, long maxRowid, long rows)
    {
        if (counted < cap)
        {
            return counted;
        }

        var spanned = Math.Max(1, maxRowid - capRowid + 1);
        var range = Math.Max(spanned, maxRowid - minRowid + 1);
        return Math.Clamp((double)cap * range / spanned, cap, Math.Max(cap, rows));
    }

    /// <summary>FTS5's IDF: <c>ln((N - n + 0.5) / (n + 0.5))</c>, 1e-6 when that is not positive.</summary>
    internal static double Idf(long rows, double documents)
    {
        var idf = Math.Log((rows - documents + 0.5) / (documents + 0.5));
        return idf <= 0.0 ? 1e-6 : idf;
    }

    /// <summary>FTS5's bm25 value of one row (negative; lower is better), summed over the query's words in their order.</summary>
    internal static double Bm25(ReadOnlySpan<double> idf, ReadOnlySpan<int> frequencies, long tokens, double averageTokens)
    {
        var score = 0.0;
        for (var i = 0; i < idf.Length; i++)
        {
            double frequency = frequencies[i];
            score += idf[i] * (frequency * (K1 + 1.0)) / (frequency + (K1 * (1 - B + (B * tokens / averageTokens))));
        }

        return -1.0 * score;
    }

    /// <summary>
    /// Counts the occurrences of each word in a text marked by <c>highlight()</c>: every marked span is one occurrence of
    /// a query phrase; with one word it is that word's, with several it counts for every word it matches once folded as the
    /// in-memory store folds words (as FTS5 counts a token for each phrase it matches: "topic" for both "topic" and
    /// "top*"; FTS5 found it, so one matches unless the two foldings differ, and then it counts for none).
    /// </summary>
    internal static void CountOccurrences(string marked, IReadOnlyList<TextSearch.Term> terms, Span<int> frequencies)
    {
        frequencies.Clear();
        var at = 0;
        while ((at = marked.IndexOf(Open, at)) >= 0)
        {
            var end = marked.IndexOf(Close, at + 1);
            if (end < 0)
            {
                return;
            }

            if (terms.Count == 1)
            {
                frequencies[0]++;
            }
            else
            {
                var span = marked.AsSpan(at + 1, end - at - 1);
                var folded = System.Text.Ascii.IsValid(span) ? null : TextSearch.Fold(span);
                for (var i = 0; i < terms.Count; i++)
                {
                    // ASCII folds to its lower case (terms are folded already), without normalizing.
                    if (folded is null
                        ? (terms[i].Prefix ? span.StartsWith(terms[i].Text, StringComparison.OrdinalIgnoreCase) : span.Equals(terms[i].Text, StringComparison.OrdinalIgnoreCase))
                        : TextSearch.Matches(folded, terms[i]))
                    {
                        frequencies[i]++;
                    }
                }
            }

            at = end + 1;
        }
    }

    /// <summary>Reads the SQLite varint at <paramref name="offset"/> (FTS5's record format), advancing past it.</summary>
    internal static long ReadVarint(ReadOnlySpan<byte> data, ref int offset)
    {
        long value = 0;
        for (var i = 0; i < 9 && offset < data.Length; i++)
        {
            var b = data[offset++];
            if (i == 8)
            {
                return (value << 8) | b;
            }

            value = (value << 7) | (long)(b & 0x7F);
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }

        return value;
    }
}
