using PdfSharp.Drawing;

namespace ChatPersistence.Sdk.Export.Pdf.Internal;

/// <summary>
/// Measures text in one font in time linear in its length: each distinct character is measured through PDFsharp once, as an
/// advance width in font design units, and a run's width is the sum of its characters' units scaled to points. PDFsharp's
/// <see cref="XGraphics.MeasureString(string, XFont)"/> sums the same integer advance widths and scales them the same way
/// (<c>units * size / unitsPerEm</c>), so the widths — and the line breaks decided on them — are exactly the ones it gives.
/// </summary>
/// <remarks>
/// Valid for fonts without simulated bold (PDFsharp widens those by a per-character amount); the export's fonts have none.
/// Surrogate pairs are measured as a pair on their high half, the low half counts zero, as PDFsharp does.
/// </remarks>
internal sealed class TextMeasure
{
    private const int Cached = 0x3000;
    private readonly XFont _font;
    private readonly Func<string, double> _measure;
    private readonly int _unitsPerEm;
    private readonly int[] _common = new int[Cached];
    private readonly Dictionary<char, int> _other = [];

    /// <summary>Measures in <paramref name="font"/>; <paramref name="measure"/> is PDFsharp's width of a string in it, in points.</summary>
    public TextMeasure(XFont font, Func<string, double> measure)
    {
        (_font, _measure, _unitsPerEm) = (font, measure, font.Metrics.UnitsPerEm);
        Array.Fill(_common, -1);
    }

    /// <summary>The advance width of <paramref name="text"/>[<paramref name="index"/>] in design units.</summary>
    public int Units(string text, int index)
    {
        var c = text[index];
        if (c < ' ' || char.IsLowSurrogate(c))
        {
            return 0;
        }

        if (char.IsHighSurrogate(c))
        {
            return index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]) ? Measure(text.Substring(index, 2)) : 0;
        }

        if (c < Cached)
        {
            var units = _common[c];
            return units >= 0 ? units : _common[c] = Measure(c.ToString());
        }

        if (!_other.TryGetValue(c, out var other))
        {
            _other[c] = other = Measure(c.ToString());
        }

        return other;
    }

    /// <summary>The advance width of the whole of <paramref name="text"/> in design units.</summary>
    public long Units(string text)
    {
        long units = 0;
        for (var i = 0; i < text.Length; i++)
        {
            units += Units(text, i);
        }

        return units;
    }

    /// <summary>Design units as points, computed as PDFsharp computes a measured width.</summary>
    public double Points(long units) => units * _font.Size / _unitsPerEm;

    /// <summary>
    /// How many characters of <paramref name="text"/> from <paramref name="start"/> fit in <paramref name="width"/> points:
    /// the longest such run, at least one character (a character wider than the line still has to go somewhere), never
    /// ending between the halves of a surrogate pair. Linear in the length returned.
    /// </summary>
    public int Fit(string text, int start, double width)
    {
        long units = 0;
        var end = start;
        while (end < text.Length)
        {
            var next = char.IsHighSurrogate(text[end]) && end + 1 < text.Length && char.IsLowSurrogate(text[end + 1]) ? 2 : 1;
            var grown = units + Units(text, end);
            if (end > start && Points(grown) > width)
            {
                break;
            }

            units = grown;
            end += next;
        }

        return end - start;
    }

    private int Measure(string glyph) =>
        (int)Math.Round(_measure(glyph) * _unitsPerEm / _font.Size, MidpointRounding.AwayFromZero);
}
