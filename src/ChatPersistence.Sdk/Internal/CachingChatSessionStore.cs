using ChatPersistence.Sdk.Caching;

namespace ChatPersistence.Sdk.Internal;

/// <summary>
/// Caches the session of each (user, workflow) and of each id, and the newest history page of each session, so reopening a
/// workflow costs no round trip to the store.
/// </summary>
/// <remarks>
/// <para>
/// Correct by construction for this host's writes: every user has a generation number (striped), bumped before and after
/// each of their writes; an entry is served only while the generation it was read under is current, and a read stores its
/// result only when no write of that user started meanwhile. So no read that overlaps a write can put stale data back, and
/// nothing read before a write is served after it. Retention (all users) bumps a global generation.
/// </para>
/// <para>Writes by other hosts are seen once the entry expires (<see cref="ChatCachingOptions.Expiration"/>).</para>
/// <para>
/// The cache trusts the user id the host passes, as every store does: in front of a user-mode Supabase store that serves
/// several signed-in users, pass only the id taken from the verified token.
/// </para>
/// </remarks>
internal sealed class CachingChatSessionStore : DelegatingChatSessionStore
{
    private const int Stripes = 1024;
    private readonly long[] _userGenerations = new long[Stripes];
    private readonly BoundedCache _cache;
    private readonly TimeSpan _expiration;
    private long _globalGeneration;

    public CachingChatSessionStore(IChatSessionStore innerStore, ChatCachingOptions options, TimeProvider time)
        : base(innerStore)
    {
        _cache = new BoundedCache(options.SizeLimit, time);
        _expiration = options.Expiration;
    }

    public int Count => _cache.Count;

    public override async Task<ChatSession> GetOrCreateSessionAsync(string userId, string workflowId, string? title = null, CancellationToken cancellationToken = default)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        InputValidator.Id(workflowId, ChatPersistenceLimits.MaxWorkflowIdLength, nameof(workflowId));
        InputValidator.Title(title, nameof(title));
        var key = "w\n" + userId + "\n" + workflowId;
        var snapshot = Snapshot(userId);
        if (TryGet(key, snapshot, out ChatSession? cached))
        {
            return cached;
        }

        var session = await InnerStore.GetOrCreateSessionAsync(userId, workflowId, title, cancellationToken).ConfigureAwait(false);
        Store(key, session, userId, snapshot);
        Store(SessionKey(userId, session.Id), session, userId, snapshot);
        return session;
    }

    public override async Task<ChatSession?> GetSessionAsync(string userId, Guid sessionId, CancellationToken cancellationToken = default)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        InputValidator.NotEmpty(sessionId, nameof(sessionId));
        var key = SessionKey(userId, sessionId);
        var snapshot = Snapshot(userId);
        if (TryGet(key, snapshot, out ChatSession? cached))
        {
            return cached;
        }

        var session = await InnerStore.GetSessionAsync(userId, sessionId, cancellationToken).ConfigureAwait(false);
        if (session is not null)
        {
            Store(key, session, userId, snapshot);
        }

        return session;
    }

    public override async Task<ChatMessagePage> GetMessagesAsync(string userId, Guid sessionId, ChatHistoryRequest? request = null, CancellationToken cancellationToken = default)
    {
        request ??= ChatHistoryRequest.Latest;
        if (request.Cursor is not null || request.Start != ChatHistoryStart.Newest)
        {
            return await InnerStore.GetMessagesAsync(userId, sessionId, request, cancellationToken).ConfigureAwait(false);
        }

        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        InputValidator.NotEmpty(sessionId, nameof(sessionId));
        InputValidator.PageSize(request.PageSize, ChatPersistenceLimits.MaxPageSize, nameof(request));
        var key = "h\n" + userId + "\n" + sessionId.ToString("N") + "\n" + request.PageSize.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var snapshot = Snapshot(userId);
        if (TryGet(key, snapshot, out ChatMessagePage? cached))
        {
            return cached;
        }

        var page = await InnerStore.GetMessagesAsync(userId, sessionId, request, cancellationToken).ConfigureAwait(false);
        Store(key, page, userId, snapshot);
        return page;
    }

    public override Task<ChatSession> RenameSessionAsync(string userId, Guid sessionId, string? title, CancellationToken cancellationToken = default) =>
        WriteAsync(userId, () => InnerStore.RenameSessionAsync(userId, sessionId, title, cancellationToken));

    public override Task<IReadOnlyList<StoredChatMessage>> AppendMessagesAsync(string userId, Guid sessionId, IReadOnlyList<NewChatMessage> messages, CancellationToken cancellationToken = default) =>
        WriteAsync(userId, () => InnerStore.AppendMessagesAsync(userId, sessionId, messages, cancellationToken));

    public override Task<long> ClearSessionAsync(string userId, Guid sessionId, CancellationToken cancellationToken = default) =>
        WriteAsync(userId, () => InnerStore.ClearSessionAsync(userId, sessionId, cancellationToken));

    public override Task<bool> DeleteSessionAsync(string userId, Guid sessionId, CancellationToken cancellationToken = default) =>
        WriteAsync(userId, () => InnerStore.DeleteSessionAsync(userId, sessionId, cancellationToken));

    public override Task<StoredChatMessage> SetFavoriteAsync(string userId, Guid messageId, bool isFavorite, CancellationToken cancellationToken = default) =>
        WriteAsync(userId, () => InnerStore.SetFavoriteAsync(userId, messageId, isFavorite, cancellationToken));

    public override async Task<int> DeleteIdleSessionsAsync(DateTimeOffset idleBefore, int maxSessions = 1000, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _globalGeneration);
        try
        {
            return await InnerStore.DeleteIdleSessionsAsync(idleBefore, maxSessions, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Increment(ref _globalGeneration);
        }
    }

    private static string SessionKey(string userId, Guid sessionId) => "s\n" + userId + "\n" + sessionId.ToString("N");

    private static int Stripe(string userId) => (int)((uint)StringComparer.Ordinal.GetHashCode(userId) % Stripes);

    private (long User, long Global) Snapshot(string userId) =>
        (Volatile.Read(ref _userGenerations[Stripe(userId)]), Volatile.Read(ref _globalGeneration));

    private bool TryGet<T>(string key, (long User, long Global) current, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out T? value)
        where T : class
    {
        if (_cache.TryGet(key, out var entry) && entry.UserGeneration == current.User && entry.GlobalGeneration == current.Global && entry.Value is T typed)
        {
            value = typed;
            return true;
        }

        value = null;
        return false;
    }

    // Stores a value read under `snapshot` only when no write of the user (and no retention) has started since.
    private void Store(string key, object value, string userId, (long User, long Global) snapshot)
    {
        if (Snapshot(userId) == snapshot)
        {
            _cache.Set(key, value, snapshot.User, snapshot.Global, _expiration);
        }
    }

    private async Task<T> WriteAsync<T>(string userId, Func<Task<T>> write)
    {
        InputValidator.Id(userId, ChatPersistenceLimits.MaxUserIdLength, nameof(userId));
        var stripe = Stripe(userId);
        Interlocked.Increment(ref _userGenerations[stripe]);
        try
        {
            return await write().ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Increment(ref _userGenerations[stripe]);
        }
    }
}
