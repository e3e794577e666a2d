using PdfSharp.Fonts;

namespace ChatPersistence.Sdk.Export.Pdf.Internal;

/// <summary>Installs <see cref="ChatPdfFontResolver"/> into PDFsharp once, without replacing a resolver the host set.</summary>
internal static class PdfFontSetup
{
    private static readonly Lock Gate = new();
    private static bool _done;

    public static GlyphCoverage SansCoverage { get; } = new(ChatPdfFontResolver.RegularFont());

    public static GlyphCoverage MonoCoverage { get; } = new(ChatPdfFontResolver.MonoFont());

    public static void Ensure()
    {
        lock (Gate)
        {
            if (_done)
            {
                return;
            }

            if (GlobalFontSettings.FontResolver is null)
            {
                GlobalFontSettings.FontResolver = new ChatPdfFontResolver();
            }
            else if (GlobalFontSettings.FontResolver.ResolveTypeface(ChatPdfFontResolver.SansFamily, false, false) is null)
            {
                if (GlobalFontSettings.FallbackFontResolver is not null)
                {
                    throw new InvalidOperationException(
                        "PDFsharp already has a font resolver and a fallback font resolver that do not know the export's fonts. " +
                        "Chain ChatPdfFontResolver from your resolver (new ChatPdfFontResolver(yourResolver)).");
                }

                GlobalFontSettings.FallbackFontResolver = new ChatPdfFontResolver();
            }

            _done = true;
        }
    }
}
