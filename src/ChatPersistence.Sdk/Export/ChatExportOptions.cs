namespace ChatPersistence.Sdk.Export;

/// <summary>How <see cref="ChatExporter"/> renders a session.</summary>
public sealed class ChatExportOptions
{
    /// <summary>The time zone timestamps are shown in (TXT and Markdown). Defaults to UTC. JSON always writes UTC ISO 8601.</summary>
    public TimeZoneInfo TimeZone { get; set; } = TimeZoneInfo.Utc;

    /// <summary>Whether TXT and Markdown include each message's metadata JSON. JSON always includes it. Defaults to <see langword="false"/>.</summary>
    public bool IncludeMetadata { get; set; }

    /// <summary>The clock for the export time in the header; <see langword="null"/> uses <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>The page size used to stream the history (memory stays bounded by one page). Defaults to 200.</summary>
    public int PageSize { get; set; } = 200;

    /// <summary>
    /// Which versions to write: the active path (the default, every format) or the whole tree
    /// (<see cref="ChatExportBranches.All"/>: JSON only, on a store with <see cref="ChatStoreCapabilities.Branches"/>).
    /// </summary>
    public ChatExportBranches Branches { get; set; }
}
