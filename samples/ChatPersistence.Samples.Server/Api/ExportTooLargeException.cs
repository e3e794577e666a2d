namespace ChatPersistence.Samples.Server.Api;

/// <summary>A PDF export would render more message text than <c>Limits:MaxPdfExportBytes</c> allows.</summary>
internal sealed class ExportTooLargeException(long limit)
    : Exception($"This history is larger than the PDF export allows ({limit / (1024 * 1024.0):0.#} MB of text). Export it as txt, md or json, which stream.")
{
    public long Limit { get; } = limit;
}
