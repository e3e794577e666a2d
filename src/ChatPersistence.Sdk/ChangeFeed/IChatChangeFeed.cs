namespace ChatPersistence.Sdk.ChangeFeed;

/// <summary>
/// Reports, in order, what changed in a user's chat data — from any process writing to the same store: messages appended,
/// sessions cleared, deleted or renamed, favourites set. The in-memory store reports its own writes; SQLite reports the
/// writes of this process at once and those of other processes by polling; PostgreSQL listens with <c>LISTEN/NOTIFY</c>
/// and catches up after a reconnection.
/// </summary>
/// <remarks>
/// <para>A change carries ids and sequence numbers only; the content is read through <see cref="IChatSessionStore"/>.</para>
/// <para>
/// Delivery is at least once per watcher and in the order the store logged the changes; a watcher that resumes with
/// <c>afterPosition</c> gets the logged changes after that position first (as long as the store still keeps them), then
/// live ones, without duplicates. Consumers should treat a change as a hint to read, so a repeated hint is harmless.
/// </para>
/// <para>Implementations are thread-safe: one feed serves any number of concurrent watchers.</para>
/// </remarks>
public interface IChatChangeFeed
{
    /// <summary>Watches the changes of a user's sessions, or of one session, until <paramref name="cancellationToken"/> is cancelled.</summary>
    /// <param name="userId">The owner whose changes to report.</param>
    /// <param name="sessionId">One session to watch, or <see langword="null"/> for all of the user's sessions.</param>
    /// <param name="afterPosition">Replay the logged changes after this <see cref="ChatChange.Position"/> first; <see langword="null"/> starts with the changes made from now on.</param>
    /// <param name="cancellationToken">Ends the watch.</param>
    /// <returns>The changes, as they happen; the sequence ends when <paramref name="cancellationToken"/> is cancelled (with <see cref="OperationCanceledException"/>) or the feed is disposed.</returns>
    /// <exception cref="ArgumentException"><paramref name="userId"/> is invalid for the store, or <paramref name="sessionId"/> is empty.</exception>
    /// <exception cref="ChatPersistenceException">The store failed to replay the logged changes.</exception>
    IAsyncEnumerable<ChatChange> WatchAsync(string userId, Guid? sessionId = null, long? afterPosition = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Starts the feed if it has to connect, and completes once every watch subscribed from then on receives every change
    /// committed after its subscription. PostgreSQL's listener connects and <c>LISTEN</c>s (a watch that subscribed before
    /// is caught up from the change log when it connects, so calling this is optional); the default, for feeds that deliver
    /// from the moment a watch subscribes (in-memory, SQLite), completes at once.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting (the feed goes on starting).</param>
    /// <returns>A task that completes when the feed is live.</returns>
    /// <exception cref="ObjectDisposedException">The feed was disposed.</exception>
    Task StartAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
}
