namespace ChatPersistence.Sdk.Sqlite;

/// <summary>Where the SQLite store keeps its file. Bound from the <c>ChatPersistence:Sqlite</c> configuration section.</summary>
public sealed class SqliteChatStoreOptions
{
    /// <summary>The configuration section: <c>ChatPersistence:Sqlite</c>.</summary>
    public const string SectionName = "ChatPersistence:Sqlite";

    /// <summary>
    /// The path of the database file. Ignored when <see cref="ConnectionString"/> is set. When both are empty,
    /// <see cref="DefaultPath"/> is used. The folder is created when missing.
    /// </summary>
    public string? Path { get; set; }

    /// <summary>A full Microsoft.Data.Sqlite connection string (e.g. <c>Data Source=chat.db</c>), for advanced settings.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>How long a write waits for another process holding the file's write lock before failing as transient. Defaults to 30 seconds.</summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How often the change feed looks for changes written by other processes (one indexed read per interval, whatever the
    /// number of watches). This process's own writes are reported at once. Defaults to 250 ms.
    /// </summary>
    public TimeSpan ChangeFeedPollInterval { get; set; } = TimeSpan.FromMilliseconds(250);

    /// <summary>How long logged changes are kept for resuming watchers; older ones are removed when retention runs. Defaults to one day.</summary>
    public TimeSpan ChangeRetention { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// The default database file: <c>ChatPersistence/chat.db</c> in the user's local application-data folder
    /// (e.g. <c>~/.local/share/ChatPersistence/chat.db</c> on Linux, <c>%LOCALAPPDATA%\ChatPersistence\chat.db</c> on Windows).
    /// </summary>
    public static string DefaultPath => System.IO.Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create),
        "ChatPersistence",
        "chat.db");
}
