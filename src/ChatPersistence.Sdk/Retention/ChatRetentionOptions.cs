namespace ChatPersistence.Sdk.Retention;

/// <summary>How the retention service deletes idle sessions. Bound from the <c>ChatPersistence:Retention</c> section.</summary>
public sealed class ChatRetentionOptions
{
    /// <summary>The configuration section: <c>ChatPersistence:Retention</c>.</summary>
    public const string SectionName = "ChatPersistence:Retention";

    /// <summary>Sessions idle (no append, rename or clear) for longer than this are deleted. Defaults to 90 days; at least 1 minute.</summary>
    public TimeSpan MaxIdle { get; set; } = TimeSpan.FromDays(90);

    /// <summary>How often a cleanup runs. Defaults to 1 hour; at least 1 second.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Sessions deleted per store call (a cleanup calls until a batch comes back short). Defaults to 500; 1 to 10,000.</summary>
    public int BatchSize { get; set; } = 500;
}
