namespace ChatPersistence.Sdk;

/// <summary>Settings of a <see cref="ChatReplyWriter"/>.</summary>
public sealed class ChatReplyWriterOptions
{
    /// <summary>
    /// How often the writer stores new text at most (one round trip per interval while text arrives, none when idle);
    /// <see langword="null"/> uses the store's <see cref="ChatStoreCapabilities.ReplyFlushInterval"/>. More than zero, at most 10 seconds.
    /// </summary>
    public TimeSpan? FlushInterval { get; set; }

    /// <summary>
    /// How long writing the end (<see cref="ChatReplyWriter.CompleteAsync"/>, <see cref="ChatReplyWriter.EndAsync"/>,
    /// <see cref="ChatReplyWriter.DisposeAsync"/>) may take, transient failures retried included. The end is written with
    /// its own token bounded by this timeout, so a cancelled caller still stores what was said. Default 10 seconds.
    /// </summary>
    public TimeSpan EndTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The store's change feed, to learn at once that someone asked to stop the reply (<see cref="ChangeFeed.ChatChangeKind.ReplyStopRequested"/>,
    /// from any instance or device) even while no text is being flushed (a long tool call, a slow model). <see langword="null"/>
    /// (default): the writer learns it from its next flush or heartbeat. The writer watches the reply's session until the reply ends.
    /// </summary>
    public ChangeFeed.IChatChangeFeed? ChangeFeed { get; set; }

    /// <summary>The clock for the flush interval, heartbeats and retries; <see langword="null"/> uses <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider? TimeProvider { get; set; }

    /// <summary>A copy of these settings (every one of them) with <paramref name="feed"/> as the change feed.</summary>
    /// <param name="feed">The change feed.</param>
    /// <returns>The copy; these settings are left as they are.</returns>
    internal ChatReplyWriterOptions WithChangeFeed(ChangeFeed.IChatChangeFeed feed)
    {
        var copy = (ChatReplyWriterOptions)MemberwiseClone();
        copy.ChangeFeed = feed;
        return copy;
    }
}
