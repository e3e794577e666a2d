using PdfSharp.Fonts;

namespace ChatPersistence.Sdk.Export.Pdf;

/// <summary>
/// Resolves the fonts the PDF export embeds — <see cref="SansFamily"/> (DejaVu Sans, regular and bold) and
/// <see cref="MonoFamily"/> (DejaVu Sans Mono) — from resources inside this package, so no font needs to be installed on the
/// host. Other families are passed to an optional inner resolver.
/// </summary>
/// <remarks>
/// PDFsharp has one process-wide font resolver (<see cref="GlobalFontSettings.FontResolver"/>), settable once. The exporter
/// installs this resolver there when none is set, or as <see cref="GlobalFontSettings.FallbackFontResolver"/> when the host
/// already has its own. A host that uses both slots must chain this resolver from its own: pass its resolver as
/// <c>inner</c>, or call this resolver for the two family names first.
/// </remarks>
public sealed class ChatPdfFontResolver : IFontResolver
{
    /// <summary>The family name of the proportional font (DejaVu Sans).</summary>
    public const string SansFamily = "ChatPersistence Sans";

    /// <summary>The family name of the monospace font used for code (DejaVu Sans Mono).</summary>
    public const string MonoFamily = "ChatPersistence Mono";

    private const string Regular = "ChatPersistence.Pdf.DejaVuSans.ttf";
    private const string Bold = "ChatPersistence.Pdf.DejaVuSans-Bold.ttf";
    private const string Mono = "ChatPersistence.Pdf.DejaVuSansMono.ttf";
    private readonly IFontResolver? _inner;

    /// <summary>Creates a resolver for the export's fonts only.</summary>
    public ChatPdfFontResolver()
        : this(null)
    {
    }

    /// <summary>Creates a resolver for the export's fonts that passes other families to <paramref name="inner"/>.</summary>
    /// <param name="inner">The resolver for every other family, or <see langword="null"/>.</param>
    public ChatPdfFontResolver(IFontResolver? inner) => _inner = inner;

    /// <inheritdoc />
    public FontResolverInfo? ResolveTypeface(string familyName, bool bold, bool italic) => familyName switch
    {
        SansFamily => new FontResolverInfo(bold ? Bold : Regular, mustSimulateBold: false, mustSimulateItalic: italic),
        MonoFamily => new FontResolverInfo(Mono, mustSimulateBold: bold, mustSimulateItalic: italic),
        _ => _inner?.ResolveTypeface(familyName, bold, italic),
    };

    /// <inheritdoc />
    public byte[]? GetFont(string faceName) => faceName is Regular or Bold or Mono ? FontBytes(faceName) : _inner?.GetFont(faceName);

    internal static byte[] FontBytes(string resource)
    {
        using var stream = typeof(ChatPdfFontResolver).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"The font resource {resource} is missing from {typeof(ChatPdfFontResolver).Assembly.GetName().Name}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    internal static byte[] RegularFont() => FontBytes(Regular);

    internal static byte[] MonoFont() => FontBytes(Mono);
}
