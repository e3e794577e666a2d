using System.Globalization;
using ChatPersistence.Sdk.Export.Pdf.Internal;
using PdfSharp.Pdf;

namespace ChatPersistence.Sdk.Export.Pdf;

/// <summary>
/// Exports a session's history as a PDF (A4): a header with the session title, workflow, user and export time, then every
/// message oldest first with its role, time (in <see cref="ChatExportOptions.TimeZone"/>) and a star when it is a favourite;
/// metadata when <see cref="ChatExportOptions.IncludeMetadata"/> is set; a reply that is not complete is followed by its marker
/// (<see cref="ChatReplyStatusExtensions.ToStatusMarker"/>: <c>[stopped]</c>, <c>[interrupted: the model failed — …]</c>,
/// <c>[still being written]</c>). Thread-safe (stateless).
/// </summary>
/// <remarks>
/// <para>
/// Text is set in DejaVu Sans (code blocks fenced with <c>```</c> in DejaVu Sans Mono), embedded in the document from this
/// package, so Latin scripts — Portuguese included — render exactly on every machine. A character the font has no glyph for
/// (an emoji, most CJK) is written as <c>[U+XXXX]</c>: never dropped, never a crash.
/// </para>
/// <para>
/// The history is read page by page from the store; PDFsharp keeps the document being built in memory until it is saved,
/// so memory grows with the size of the PDF (see docs/export.md for the measured figure), not with the store's reads.
/// </para>
/// </remarks>
public static class ChatPdfExporter
{
    /// <summary>Writes the session's history to <paramref name="destination"/> as a PDF.</summary>
    /// <param name="store">The store.</param>
    /// <param name="userId">The owner.</param>
    /// <param name="sessionId">The session.</param>
    /// <param name="destination">A writable stream; it is flushed, not closed.</param>
    /// <param name="options">Rendering options; <see langword="null"/> uses the defaults.</param>
    /// <param name="cancellationToken">Cancels the export.</param>
    /// <returns>How many messages were written.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ChatNotFoundException">The session does not exist or is not the user's.</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    public static async Task<long> ExportPdfAsync(
        this IChatSessionStore store,
        string userId,
        Guid sessionId,
        Stream destination,
        ChatExportOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(destination);
        options ??= new ChatExportOptions();
        var session = await store.GetSessionAsync(userId, sessionId, cancellationToken).ConfigureAwait(false)
            ?? throw ChatNotFoundException.ForSession(sessionId);
        var exportedAt = (options.TimeProvider ?? TimeProvider.System).GetUtcNow();
        PdfFontSetup.Ensure();

        using var document = new PdfDocument();
        var title = session.Title ?? $"Chat — {session.WorkflowId}";
        document.Info.Title = title;
        document.Info.Creator = "ChatPersistence.Sdk";
        long count = 0;
        using (var layout = new PdfLayout(document, cancellationToken))
        {
            layout.Title(title);
            layout.Field("Workflow", session.WorkflowId);
            layout.Field("User", session.UserId);
            layout.Field("Exported", Time(exportedAt, options.TimeZone));
            layout.Field("Messages", session.MessageCount.ToString(CultureInfo.InvariantCulture));
            layout.Gap(6);
            await foreach (var message in store.StreamMessagesAsync(userId, sessionId, ChatHistoryStart.Oldest, options.PageSize, cancellationToken).ConfigureAwait(false))
            {
                layout.MessageHeader(Label(message.Role), Time(message.CreatedAt, options.TimeZone), message.IsFavorite);
                layout.Body(message.Content);
                if (message.ToStatusMarker() is { } marker)
                {
                    layout.Marker(marker);
                }

                if (options.IncludeMetadata && message.Metadata.ValueKind == System.Text.Json.JsonValueKind.Object && message.Metadata.EnumerateObject().Any())
                {
                    layout.Metadata(message.Metadata.GetRawText());
                }

                count++;
            }

            if (count == 0)
            {
                layout.Gap(8);
                layout.Body("(no messages)");
            }
        }

        cancellationToken.ThrowIfCancellationRequested();
        document.Save(destination, closeStream: false);
        await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
        return count;
    }

    private static string Label(ChatMessageRole role) => role switch
    {
        ChatMessageRole.User => "User",
        ChatMessageRole.Assistant => "Assistant",
        ChatMessageRole.System => "System",
        ChatMessageRole.Tool => "Tool",
        _ => role.ToString(),
    };

    private static string Time(DateTimeOffset value, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(value, zone).ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);
}
