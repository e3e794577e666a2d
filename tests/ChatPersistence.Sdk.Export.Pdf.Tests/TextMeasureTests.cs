using ChatPersistence.Sdk.Export.Pdf.Internal;
using FluentAssertions;
using PdfSharp.Drawing;
using Xunit;

namespace ChatPersistence.Sdk.Export.Pdf.Tests;

/// <summary>
/// The per-character measure the layout wraps with gives PDFsharp's own widths exactly (so line breaks in normal text are
/// the ones whole-string measuring gave) and breaks runs at the longest prefix that fits.
/// </summary>
public sealed class TextMeasureTests
{
    private const string Sample = "Persistência de Chat por Workflow: ação, função, informação — ç ã õ é ê á à ú í ★ ✓ {}[]<>=+*/\\|~^`'\"0123456789 WWWiiilll";

    public static TheoryData<string, double, bool> Fonts => new()
    {
        { ChatPdfFontResolver.SansFamily, 10, false },
        { ChatPdfFontResolver.SansFamily, 8, false },
        { ChatPdfFontResolver.SansFamily, 16, true },
        { ChatPdfFontResolver.MonoFamily, 9, false },
    };

    [Theory]
    [MemberData(nameof(Fonts))]
    public void Widths_summed_per_character_equal_PDFsharp_measuring_the_whole_string(string family, double size, bool bold)
    {
        using var graphics = MeasureContext();
        var font = new XFont(family, size, bold ? XFontStyleEx.Bold : XFontStyleEx.Regular);
        var measure = new TextMeasure(font, text => graphics.MeasureString(text, font).Width);
        var random = new Random(28);
        for (var i = 0; i < 300; i++)
        {
            var text = new string([.. Enumerable.Range(0, random.Next(1, 200)).Select(_ => Sample[random.Next(Sample.Length)])]);

            measure.Points(measure.Units(text)).Should().Be(graphics.MeasureString(text, font).Width, "for \"{0}\"", text);
        }
    }

    [Theory]
    [MemberData(nameof(Fonts))]
    public void Fit_returns_the_longest_run_that_fits(string family, double size, bool bold)
    {
        using var graphics = MeasureContext();
        var font = new XFont(family, size, bold ? XFontStyleEx.Bold : XFontStyleEx.Regular);
        var measure = new TextMeasure(font, text => graphics.MeasureString(text, font).Width);
        var text = string.Concat(Enumerable.Repeat("WiçãÁ★m1", 200));
        var width = 495.28;

        var start = 0;
        var runs = 0;
        while (start < text.Length)
        {
            var length = measure.Fit(text, start, width);
            graphics.MeasureString(text.Substring(start, length), font).Width.Should().BeLessThanOrEqualTo(width);
            if (start + length < text.Length)
            {
                graphics.MeasureString(text.Substring(start, length + 1), font).Width.Should().BeGreaterThan(width, "the run is the longest that fits");
            }

            start += length;
            runs++;
        }

        runs.Should().BeGreaterThan(1);
    }

    [Fact]
    public void A_character_wider_than_the_line_still_takes_one_and_surrogate_pairs_stay_whole()
    {
        using var graphics = MeasureContext();
        var font = new XFont(ChatPdfFontResolver.SansFamily, 10, XFontStyleEx.Regular);
        var measure = new TextMeasure(font, text => graphics.MeasureString(text, font).Width);

        measure.Fit("WWW", 0, 1).Should().Be(1, "progress is made even when nothing fits");
        measure.Fit("\U0001F600\U0001F600", 0, 0.5).Should().Be(2, "a pair is one character");
        measure.Units("a\U0001F600", 2).Should().Be(0, "the low half is counted with the high half");
    }

    private static XGraphics MeasureContext()
    {
        PdfFontSetup.Ensure();
        return XGraphics.CreateMeasureContext(new XSize(595.28, 841.89), XGraphicsUnit.Point, XPageDirection.Downwards);
    }
}
