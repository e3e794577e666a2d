using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ChatPersistence.Sdk.Export;

/// <summary>
/// Exports a session's history to a stream as TXT, Markdown or JSON. The history is streamed page by page
/// (<see cref="ChatSessionStoreExtensions.StreamMessagesAsync"/>) and written as it is read, so memory stays bounded by one
/// page whatever the session's length. Works with every store. Thread-safe (stateless).
/// </summary>
/// <remarks>
/// A reply that is not complete keeps its text and is marked: TXT and Markdown put a marker after its text
/// (<see cref="ChatReplyStatusExtensions.ToStatusMarker"/>: <c>[stopped]</c>, <c>[interrupted: the model failed — …]</c>,
/// <c>[still being written]</c> for a reply streaming while it was exported, with the text stored so far). JSON writes every
/// message's <c>status</c> and <c>reason</c> (<see cref="ChatReplyStatusExtensions.ToJsonName(ChatReplyStatus)"/>) and, for a
/// message that is not complete, its <c>reasonDetail</c> when it has one. These fields were added to version 1 without
/// changing its number: a reader that ignores unknown fields (as earlier versions of <see cref="ChatImporter"/> do) reads
/// the file as before, and every message as complete.
/// </remarks>
public static class ChatExporter
{
    /// <summary>The <c>format</c> value of the JSON export.</summary>
    public const string JsonFormatName = "chatpersistence.export";

    /// <summary>The version of the JSON export format this library writes for the active path (readable by every version of <see cref="ChatImporter"/>).</summary>
    public const int JsonFormatVersion = 1;

    /// <summary>
    /// The version of the JSON export format written for the whole tree (<see cref="ChatExportBranches.All"/>): version 1 plus
    /// each message's <c>parentId</c> (<see langword="null"/> for a root) and the session's <c>activeLeafId</c>. A new
    /// number, so that an importer that does not know parents refuses the file instead of flattening the versions into one line.
    /// </summary>
    public const int JsonTreeFormatVersion = 2;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <summary>Writes the session's whole history to <paramref name="destination"/> (UTF-8, no BOM), oldest first.</summary>
    /// <param name="store">The store.</param>
    /// <param name="userId">The owner.</param>
    /// <param name="sessionId">The session.</param>
    /// <param name="format">The format.</param>
    /// <param name="destination">A writable stream; it is flushed, not closed.</param>
    /// <param name="options">Rendering options; <see langword="null"/> uses the defaults.</param>
    /// <param name="cancellationToken">Cancels the export.</param>
    /// <returns>How many messages were written.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="format"/> or <see cref="ChatExportOptions.Branches"/> is not defined.</exception>
    /// <exception cref="ArgumentException"><see cref="ChatExportBranches.All"/> was asked for a format other than JSON.</exception>
    /// <exception cref="NotSupportedException"><see cref="ChatExportBranches.All"/> was asked of a store without branches.</exception>
    /// <exception cref="ChatNotFoundException">The session does not exist or is not the user's.</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    public static async Task<long> ExportAsync(
        this IChatSessionStore store,
        string userId,
        Guid sessionId,
        ChatExportFormat format,
        Stream destination,
        ChatExportOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(destination);
        options ??= new ChatExportOptions();
        var tree = options.Branches switch
        {
            ChatExportBranches.ActivePath => false,
            ChatExportBranches.All when format != ChatExportFormat.Json => throw new ArgumentException("The whole tree of versions is exported as JSON only; TXT and Markdown show the active path.", nameof(options)),
            ChatExportBranches.All when !store.Capabilities.Branches => throw new NotSupportedException("The store does not keep branches: its history is the active path (ChatExportBranches.ActivePath)."),
            ChatExportBranches.All => true,
            _ => throw new ArgumentOutOfRangeException(nameof(options), options.Branches, "Unknown ChatExportBranches value."),
        };
        var session = await store.GetSessionAsync(userId, sessionId, cancellationToken).ConfigureAwait(false)
            ?? throw ChatNotFoundException.ForSession(sessionId);
        var exportedAt = (options.TimeProvider ?? TimeProvider.System).GetUtcNow();
        var messages = tree
            ? ChatSessionStoreExtensions.StreamAsync(store, userId, sessionId, new ChatHistoryRequest { AllBranches = true, Start = ChatHistoryStart.Oldest, PageSize = options.PageSize }, cancellationToken)
            : store.StreamMessagesAsync(userId, sessionId, ChatHistoryStart.Oldest, options.PageSize, cancellationToken);
        return format switch
        {
            ChatExportFormat.Json => await WriteJsonAsync(session, messages, exportedAt, destination, options.PageSize, tree, cancellationToken).ConfigureAwait(false),
            ChatExportFormat.Text or ChatExportFormat.Markdown => await WriteTextAsync(session, messages, exportedAt, format == ChatExportFormat.Markdown, destination, options, cancellationToken).ConfigureAwait(false),
            _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown export format."),
        };
    }

    private const int FlushBytes = 64 * 1024;

    private static async Task<long> WriteJsonAsync(ChatSession session, IAsyncEnumerable<StoredChatMessage> messages, DateTimeOffset exportedAt, Stream destination, int flushEvery, bool tree, CancellationToken cancellationToken)
    {
        // Non-ASCII text stays readable in the file ("ação", not "a\u00E7\u00E3o"); the file is data, never embedded in HTML.
        var writer = new Utf8JsonWriter(destination, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
        await using (writer.ConfigureAwait(false))
        {
            writer.WriteStartObject();
            writer.WriteString("format", JsonFormatName);
            writer.WriteNumber("version", tree ? JsonTreeFormatVersion : JsonFormatVersion);
            writer.WriteString("exportedAt", exportedAt.ToUniversalTime());
            writer.WriteStartObject("session");
            writer.WriteString("id", session.Id);
            writer.WriteString("userId", session.UserId);
            writer.WriteString("workflowId", session.WorkflowId);
            writer.WriteString("title", session.Title);
            writer.WriteString("createdAt", session.CreatedAt);
            writer.WriteString("updatedAt", session.UpdatedAt);
            if (tree)
            {
                // Null when the session never branched: the newest message is the leaf.
                writer.WriteString("activeLeafId", session.ActiveLeafId?.ToString());
            }

            writer.WriteEndObject();
            writer.WriteStartArray("messages");
            long count = 0;
            await foreach (var m in messages.ConfigureAwait(false))
            {
                writer.WriteStartObject();
                writer.WriteString("id", m.Id);
                writer.WriteNumber("sequence", m.Sequence);
                if (tree)
                {
                    writer.WriteString("parentId", m.ParentId?.ToString());
                }

                writer.WriteString("role", m.Role.ToStorageName());
                writer.WriteString("content", m.Content);
                writer.WritePropertyName("metadata");
                m.Metadata.WriteTo(writer);
                writer.WriteString("createdAt", m.CreatedAt);
                writer.WriteBoolean("isFavorite", m.IsFavorite);
                writer.WriteString("status", m.Status.ToJsonName());
                writer.WriteString("reason", m.Reason.ToJsonName());
                if (m.Status != ChatReplyStatus.Complete && m.ReasonDetail is { } detail)
                {
                    writer.WriteString("reasonDetail", detail);
                }

                writer.WriteEndObject();
                // Flush by page and by size: the writer buffers everything until flushed, and messages can be 1 MiB each.
                if (++count % flushEvery == 0 || writer.BytesPending >= FlushBytes)
                {
                    await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            writer.WriteEndArray();
            writer.WriteNumber("messageCount", count);
            writer.WriteEndObject();
            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            return count;
        }
    }

    private static async Task<long> WriteTextAsync(ChatSession session, IAsyncEnumerable<StoredChatMessage> messages, DateTimeOffset exportedAt, bool markdown, Stream destination, ChatExportOptions options, CancellationToken cancellationToken)
    {
        var writer = new StreamWriter(destination, Utf8, bufferSize: 16 * 1024, leaveOpen: true) { NewLine = "\n" };
        await using (writer.ConfigureAwait(false))
        {
            var title = session.Title ?? $"Chat — {session.WorkflowId}";
            if (markdown)
            {
                await writer.WriteLineAsync($"# {EscapeMarkdownLine(title)}\n").ConfigureAwait(false);
                await writer.WriteLineAsync("| | |\n|---|---|").ConfigureAwait(false);
                await writer.WriteLineAsync($"| Workflow | {EscapeMarkdownCell(session.WorkflowId)} |").ConfigureAwait(false);
                await writer.WriteLineAsync($"| User | {EscapeMarkdownCell(session.UserId)} |").ConfigureAwait(false);
                await writer.WriteLineAsync($"| Exported | {Time(exportedAt, options.TimeZone)} |").ConfigureAwait(false);
                await writer.WriteLineAsync($"| Messages | {session.MessageCount} |\n").ConfigureAwait(false);
            }
            else
            {
                await writer.WriteLineAsync(title).ConfigureAwait(false);
                await writer.WriteLineAsync(new string('=', Math.Min(title.Length, 80))).ConfigureAwait(false);
                await writer.WriteLineAsync($"Workflow: {session.WorkflowId}").ConfigureAwait(false);
                await writer.WriteLineAsync($"User:     {session.UserId}").ConfigureAwait(false);
                await writer.WriteLineAsync($"Exported: {Time(exportedAt, options.TimeZone)}").ConfigureAwait(false);
                await writer.WriteLineAsync($"Messages: {session.MessageCount}\n").ConfigureAwait(false);
            }

            long count = 0;
            await foreach (var m in messages.ConfigureAwait(false))
            {
                var label = Label(m.Role) + (m.IsFavorite ? " ★" : string.Empty);
                if (markdown)
                {
                    await writer.WriteLineAsync($"### {label} · {Time(m.CreatedAt, options.TimeZone)}\n").ConfigureAwait(false);
                    await WriteFencedAsync(writer, m.Content, "text").ConfigureAwait(false);
                    if (ChatReplyStatusExtensions.StatusMarker(m, EscapeMarkdownLine, "_\\[", "\\]_") is { } marker)
                    {
                        await writer.WriteLineAsync(marker + "\n").ConfigureAwait(false);
                    }

                    if (options.IncludeMetadata && m.Metadata.EnumerateObject().Any())
                    {
                        await WriteFencedAsync(writer, m.Metadata.GetRawText(), "json").ConfigureAwait(false);
                    }
                }
                else
                {
                    await writer.WriteLineAsync($"[{Time(m.CreatedAt, options.TimeZone)}] {label}:").ConfigureAwait(false);
                    foreach (var line in m.Content.Split('\n'))
                    {
                        await writer.WriteLineAsync("  " + line.TrimEnd('\r')).ConfigureAwait(false);
                    }

                    if (m.ToStatusMarker() is { } marker)
                    {
                        await writer.WriteLineAsync("  " + marker).ConfigureAwait(false);
                    }

                    if (options.IncludeMetadata && m.Metadata.EnumerateObject().Any())
                    {
                        await writer.WriteLineAsync("  metadata: " + m.Metadata.GetRawText()).ConfigureAwait(false);
                    }

                    await writer.WriteLineAsync().ConfigureAwait(false);
                }

                if (++count % options.PageSize == 0)
                {
                    await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
            return count;
        }
    }

    // A fence longer than any backtick run in the text, so the text can never close it (CommonMark fenced code blocks).
    private static async Task WriteFencedAsync(StreamWriter writer, string text, string info)
    {
        int longest = 0, run = 0;
        foreach (var c in text)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        var fence = new string('`', Math.Max(3, longest + 1));
        await writer.WriteLineAsync($"{fence}{info}\n{text}\n{fence}\n").ConfigureAwait(false);
    }

    private static string Label(ChatMessageRole role) => role switch
    {
        ChatMessageRole.User => "User",
        ChatMessageRole.Assistant => "Assistant",
        ChatMessageRole.System => "System",
        _ => "Tool",
    };

    private static string Time(DateTimeOffset value, TimeZoneInfo zone) =>
        TimeZoneInfo.ConvertTime(value, zone).ToString("yyyy-MM-dd HH:mm:ss zzz", CultureInfo.InvariantCulture);

    private static string EscapeMarkdownLine(string text) =>
        new StringBuilder(text.Length).AppendJoin(string.Empty, text.Select(c => "\\`*_{}[]<>()#+-.!|".Contains(c, StringComparison.Ordinal) ? "\\" + c : c.ToString())).ToString().ReplaceLineEndings(" ");

    private static string EscapeMarkdownCell(string text) => EscapeMarkdownLine(text);
}
