using System.Globalization;
using System.Text;
using PdfSharp.Drawing;
using PdfSharp.Pdf;

namespace ChatPersistence.Sdk.Export.Pdf.Internal;

/// <summary>
/// Lays text out on A4 pages top to bottom: wraps words to the line width (breaking words longer than a line), starts a
/// new page when the next line does not fit, draws fenced code blocks in monospace on a grey band. Characters the font
/// has no glyph for, and characters outside the Basic Multilingual Plane, are written as <c>[U+XXXX]</c> so no text is
/// silently lost.
/// </summary>
internal sealed class PdfLayout : IDisposable
{
    private const double Margin = 50;
    private static readonly XSize A4 = new(595.28, 841.89);
    private readonly PdfDocument _document;
    private readonly XFont _body = new(ChatPdfFontResolver.SansFamily, 10, XFontStyleEx.Regular);
    private readonly XFont _bold = new(ChatPdfFontResolver.SansFamily, 10, XFontStyleEx.Bold);
    private readonly XFont _small = new(ChatPdfFontResolver.SansFamily, 8, XFontStyleEx.Regular);
    private readonly XFont _title = new(ChatPdfFontResolver.SansFamily, 16, XFontStyleEx.Bold);
    private readonly XFont _mono = new(ChatPdfFontResolver.MonoFamily, 9, XFontStyleEx.Regular);
    private readonly CancellationToken _cancellation;
    private readonly Dictionary<XFont, TextMeasure> _measures = new(ReferenceEqualityComparer.Instance);
    private XGraphics? _graphics;
    private double _y;

    /// <summary>Lays out into <paramref name="document"/>; <paramref name="cancellation"/> is checked per line and per word, so a long message stops promptly.</summary>
    public PdfLayout(PdfDocument document, CancellationToken cancellation = default) => (_document, _cancellation) = (document, cancellation);

    public int Pages => _document.PageCount;

    private static double Width => A4.Width - (2 * Margin);

    private static double Bottom => A4.Height - Margin;

    public void Title(string text)
    {
        foreach (var line in Wrap(Sanitize(text, PdfFontSetup.SansCoverage), _title))
        {
            Line(line, _title, XBrushes.Black, 0);
        }

        _y += 4;
    }

    public void Field(string label, string value) =>
        Line(Sanitize($"{label}: {value}", PdfFontSetup.SansCoverage), _small, XBrushes.DimGray, 0);

    public void Gap(double points) => _y += points;

    public void MessageHeader(string label, string time, bool favourite)
    {
        Gap(8);
        EnsureRoom(_bold.GetHeight() + _body.GetHeight());
        var text = Sanitize(label + (favourite ? " ★" : string.Empty), PdfFontSetup.SansCoverage);
        var graphics = Graphics();
        graphics.DrawString(text, _bold, favourite ? XBrushes.DarkGoldenrod : XBrushes.Black, new XPoint(Margin, _y + _bold.GetHeight()));
        var width = graphics.MeasureString(text + "  ", _bold).Width;
        graphics.DrawString(Sanitize(time, PdfFontSetup.SansCoverage), _small, XBrushes.DimGray, new XPoint(Margin + width, _y + _bold.GetHeight()));
        _y += _bold.GetHeight() * 1.3;
    }

    /// <summary>Writes message text: plain paragraphs in the body font, ``` fenced blocks in monospace.</summary>
    public void Body(string content, double indent = 0)
    {
        var inCode = false;
        foreach (var raw in content.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            if (raw.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                inCode = !inCode;
                continue;
            }

            if (inCode)
            {
                foreach (var line in WrapCharacters(Sanitize(raw.Replace("\t", "    ", StringComparison.Ordinal), PdfFontSetup.MonoCoverage), _mono, Width - indent - 8))
                {
                    EnsureRoom(_mono.GetHeight() * 1.25);
                    Graphics().DrawRectangle(XBrushes.WhiteSmoke, Margin + indent, _y, Width - indent, _mono.GetHeight() * 1.25);
                    Line(line, _mono, XBrushes.Black, indent + 4);
                }
            }
            else
            {
                foreach (var line in Wrap(Sanitize(raw.Replace("\t", "    ", StringComparison.Ordinal), PdfFontSetup.SansCoverage), _body, indent))
                {
                    Line(line, _body, XBrushes.Black, indent);
                }
            }
        }
    }

    /// <summary>Writes a status marker (<c>[stopped]</c>…) after a message's text, wrapped, in the body font, dark red.</summary>
    public void Marker(string text)
    {
        foreach (var line in Wrap(Sanitize(text, PdfFontSetup.SansCoverage), _body, 0))
        {
            Line(line, _body, XBrushes.DarkRed, 0);
        }
    }

    public void Metadata(string json)
    {
        foreach (var line in WrapCharacters(Sanitize(json, PdfFontSetup.MonoCoverage), _small, Width - 12))
        {
            Line(line, _small, XBrushes.DimGray, 12);
        }
    }

    public void Dispose() => _graphics?.Dispose();

    /// <summary>Replaces characters the font cannot draw (and control characters) with a visible <c>[U+XXXX]</c>.</summary>
    internal static string Sanitize(string text, GlyphCoverage coverage)
    {
        StringBuilder? builder = null;
        var index = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            // PDFsharp 6 encodes text per UTF-16 code unit, so characters outside the BMP (emoji…) cannot be drawn even
            // where the font has them: they get the fallback too.
            // A lone surrogate enumerates as U+FFFD but is not one: it gets the fallback rather than reaching the PDF.
            var keep = !Rune.IsControl(rune) && rune.IsBmp && coverage.Covers(rune.Value) && !char.IsSurrogate(text[index]);
            if (!keep || builder is not null)
            {
                builder ??= new StringBuilder(text.Length + 16).Append(text, 0, index);
                if (keep)
                {
                    builder.Append(rune.ToString());
                }
                else
                {
                    builder.Append("[U+").Append(rune.Value.ToString("X4", CultureInfo.InvariantCulture)).Append(']');
                }
            }

            index += rune.Utf16SequenceLength;
        }

        return builder?.ToString() ?? text;
    }

    private XGraphics Graphics()
    {
        if (_graphics is null)
        {
            NewPage();
        }

        return _graphics!;
    }

    private void NewPage()
    {
        _graphics?.Dispose();
        var page = _document.AddPage();
        page.Width = XUnit.FromPoint(A4.Width);
        page.Height = XUnit.FromPoint(A4.Height);
        _graphics = XGraphics.FromPdfPage(page);
        _graphics.DrawString(_document.PageCount.ToString(CultureInfo.InvariantCulture), _small, XBrushes.Gray, new XPoint(A4.Width - Margin, A4.Height - (Margin / 2)));
        _y = Margin;
    }

    private void EnsureRoom(double height)
    {
        if (_graphics is null || _y + height > Bottom)
        {
            NewPage();
        }
    }

    private void Line(string text, XFont font, XBrush brush, double indent)
    {
        _cancellation.ThrowIfCancellationRequested();
        var height = font.GetHeight() * 1.25;
        EnsureRoom(height);
        if (text.Length > 0)
        {
            Graphics().DrawString(text, font, brush, new XPoint(Margin + indent, _y + font.GetHeight()));
        }

        _y += height;
    }

    /// <summary>
    /// Greedy word wrap: words joined by single spaces while the line fits; a word wider than the line starts a line of its
    /// own and is broken by characters. Linear in the text: every character's width is looked up once.
    /// </summary>
    private List<string> Wrap(string text, XFont font, double indent = 0)
    {
        var width = Width - indent;
        var measure = MeasureFor(font);
        var space = measure.Units(" ", 0);
        var lines = new List<string>();
        var line = new StringBuilder();
        long lineUnits = 0;
        foreach (var word in text.Split(' '))
        {
            _cancellation.ThrowIfCancellationRequested();
            var wordUnits = measure.Units(word);
            var candidate = line.Length == 0 ? wordUnits : lineUnits + space + wordUnits;
            if (measure.Points(candidate) <= width)
            {
                (line.Length == 0 ? line : line.Append(' ')).Append(word);
                lineUnits = candidate;
                continue;
            }

            if (line.Length > 0)
            {
                lines.Add(line.ToString());
                line.Clear();
            }

            if (measure.Points(wordUnits) <= width)
            {
                line.Append(word);
                lineUnits = wordUnits;
            }
            else
            {
                var pieces = WrapCharacters(word, font, width);
                lines.AddRange(pieces.Take(pieces.Count - 1));
                line.Append(pieces[^1]);
                lineUnits = measure.Units(pieces[^1]);
            }
        }

        lines.Add(line.ToString());
        return lines;
    }

    /// <summary>Breaks <paramref name="text"/> into the longest runs of characters that fit <paramref name="width"/>; linear in the text.</summary>
    private List<string> WrapCharacters(string text, XFont font, double width)
    {
        var measure = MeasureFor(font);
        var lines = new List<string>();
        var start = 0;
        while (start < text.Length)
        {
            _cancellation.ThrowIfCancellationRequested();
            var length = measure.Fit(text, start, width);
            lines.Add(text.Substring(start, length));
            start += length;
        }

        if (lines.Count == 0)
        {
            lines.Add(string.Empty);
        }

        return lines;
    }

    private TextMeasure MeasureFor(XFont font)
    {
        if (!_measures.TryGetValue(font, out var measure))
        {
            _measures[font] = measure = new TextMeasure(font, text => Measure(text, font));
        }

        return measure;
    }

    private double Measure(string text, XFont font)
    {
        _cancellation.ThrowIfCancellationRequested();
        return Graphics().MeasureString(text, font).Width;
    }
}
