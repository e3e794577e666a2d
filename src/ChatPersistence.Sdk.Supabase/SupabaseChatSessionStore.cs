using System.Buffers;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ChatPersistence.Sdk.Internal;
using ChatPersistence.Sdk.Supabase.Internal;
using Polly;

namespace ChatPersistence.Sdk.Supabase;

/// <summary>
/// The Supabase store: every operation is one <c>POST {url}/rest/v1/rpc/&lt;function&gt;</c> to the project's PostgREST API,
/// calling the SQL functions the ChatPersistence migrations install (the same functions the PostgreSQL store calls).
/// User ids must be UUIDs (Supabase Auth user ids). Thread-safe.
/// </summary>
/// <remarks>
/// <para>
/// The store speaks PostgREST's HTTP API directly (no Supabase client package): System.Text.Json source generation, no
/// reflection, trimming- and AOT-safe. Registered with <c>UseSupabase()</c> it gets its <see cref="HttpClient"/> from
/// <c>IHttpClientFactory</c> with the standard resilience handler (retries of transient failures only, honouring
/// <c>Retry-After</c>; per-attempt and total timeouts). Every call is safe to retry: appends are idempotent by message id.
/// </para>
/// <para>Keys and access tokens go only into request headers, never into exceptions, logs or <see cref="object.ToString"/>.</para>
/// </remarks>
public sealed class SupabaseChatSessionStore : ChatSessionStore
{
    private const string JsonMediaType = "application/json";
    private const int AnswerBufferSize = 16 * 1024;
    private static readonly string ClientInfo = "chatpersistence-sdk/" +
        (typeof(SupabaseChatSessionStore).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0");

    private static readonly string[] Functions =
    [
        "chat_get_or_create_session", "chat_get_session", "chat_list_sessions", "chat_rename_session", "chat_append_messages",
        "chat_read_messages", "chat_clear_session", "chat_delete_session", "chat_search", "chat_set_favorite",
        "chat_list_favorites", "chat_delete_idle_sessions", "chat_begin_reply", "chat_grow_reply", "chat_finish_reply",
        "chat_stop_reply", "chat_read_reply", "chat_switch_branch", "chat_get_siblings",
    ];

    private readonly Func<HttpClient> _client;
    private readonly Uri _rpc;
    private readonly Dictionary<string, Uri> _endpoints;
    private readonly SupabaseAuthMode _mode;
    private readonly string _apiKey;
    private readonly string? _serviceAuthorization;
    private readonly string _schema;
    private readonly int _maxResponseBytes;
    private readonly SupabaseAccessTokenProvider? _tokens;
    private volatile BearerAuthorization? _lastAuthorization;

    /// <summary>Creates a store that sends its requests through <paramref name="httpClient"/> (which the caller owns).</summary>
    /// <param name="httpClient">The client. It is used as given: add a resilience handler to it for retries.</param>
    /// <param name="storeOptions">The project URL and keys.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="storeOptions"/> are incomplete or inconsistent.</exception>
    public SupabaseChatSessionStore(HttpClient httpClient, SupabaseChatStoreOptions storeOptions)
        : this(httpClient, storeOptions, null)
    {
    }

    /// <summary>Creates a store that sends its requests through <paramref name="httpClient"/> (which the caller owns).</summary>
    /// <param name="httpClient">The client. It is used as given: add a resilience handler to it for retries.</param>
    /// <param name="storeOptions">The project URL and keys.</param>
    /// <param name="options">The shared input limits; <see langword="null"/> uses the defaults.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="storeOptions"/> are incomplete or inconsistent.</exception>
    public SupabaseChatSessionStore(HttpClient httpClient, SupabaseChatStoreOptions storeOptions, ChatPersistenceOptions? options)
        : this(CheckClient(httpClient), storeOptions, options)
    {
    }

    internal SupabaseChatSessionStore(Func<HttpClient> client, SupabaseChatStoreOptions storeOptions, ChatPersistenceOptions? options)
        : base(options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(storeOptions);
        if (storeOptions.Validate() is { } problem)
        {
            throw new ArgumentException(problem, nameof(storeOptions));
        }

        _client = client;
        var root = storeOptions.Url!.ToString().TrimEnd('/');
        _rpc = new Uri(root + "/rest/v1/rpc/", UriKind.Absolute);
        _endpoints = Functions.ToDictionary(f => f, f => new Uri(_rpc, f), StringComparer.Ordinal);
        _mode = storeOptions.Mode;
        _schema = storeOptions.Schema;
        _maxResponseBytes = storeOptions.MaxResponseBytes;
        if (_mode == SupabaseAuthMode.Service)
        {
            // An sb_secret_ key goes in apikey alone: Supabase's gateway turns it into the service_role token for PostgREST
            // and accepts an sb_ key as a bearer only when it equals apikey (Supabase "API keys", known limitations). A legacy
            // service_role key is itself that token, so it must also be the bearer (as supabase-js sends it).
            _apiKey = storeOptions.SecretKey!;
            _serviceAuthorization = SupabaseChatStoreOptions.IsOpaqueKey(_apiKey) ? null : "Bearer " + _apiKey;
        }
        else
        {
            _apiKey = storeOptions.PublishableKey!;
            _tokens = storeOptions.AccessTokenProvider;
        }
    }

    /// <summary>The authentication mode the store runs in.</summary>
    public SupabaseAuthMode Mode => _mode;

    /// <summary>Describes the store without any key.</summary>
    /// <returns>The REST endpoint and the mode.</returns>
    public override string ToString() => $"Supabase chat store ({_rpc.GetLeftPart(UriPartial.Authority)}, {_mode} mode)";

    /// <inheritdoc />
    protected override Task<ChatSession> GetOrCreateSessionCoreAsync(string userId, string workflowId, string? title, CancellationToken cancellationToken)
    {
        var user = ParseUserId(userId);
        var w = RequestJson.Begin();
        w.WriteString("p_workflow_id", workflowId);
        WriteNullable(w, "p_title", title);
        w.WriteString("p_user_id", user);
        return CallAsync(userId, "chat_get_or_create_session", RequestJson.End(w),
            static json => Single(Sessions(json), "chat_get_or_create_session").ToSession(), NotFoundKind.Session, null, cancellationToken);
    }

    /// <inheritdoc />
    protected override Task<ChatSession?> GetSessionCoreAsync(string userId, Guid sessionId, CancellationToken cancellationToken)
    {
        var user = ParseUserId(userId);
        var w = RequestJson.Begin();
        w.WriteString("p_session_id", sessionId);
        w.WriteString("p_user_id", user);
        return CallAsync(userId, "chat_get_session", RequestJson.End(w),
            static json => Sessions(json) is { Count: > 0 } rows ? rows[0].ToSession() : null, NotFoundKind.Session, sessionId, cancellationToken);
    }

    /// <inheritdoc />
    protected override Task<IReadOnlyList<ChatSession>> ListSessionsCoreAsync(string userId, DateTimeOffset? afterUpdatedAt, Guid? afterId, int limit, CancellationToken cancellationToken)
    {
        var user = ParseUserId(userId);
        var w = RequestJson.Begin();
        w.WriteNumber("p_limit", limit);
        if (afterUpdatedAt is { } at)
        {
            w.WriteString("p_after_updated_at", SqlMessageJson.Timestamp(at));
        }

        if (afterId is { } id)
        {
            w.WriteString("p_after_id", id);
        }

        w.WriteString("p_user_id", user);
        return CallAsync<IReadOnlyList<ChatSession>>(userId, "chat_list_sessions", RequestJson.End(w),
            static json => Sessions(json).ConvertAll(r => r.ToSession()), NotFoundKind.Session, null, cancellationToken);
    }

    /// <inheritdoc />
    protected override Task<ChatSession> RenameSessionCoreAsync(string userId, Guid sessionId, string? title, CancellationToken cancellationToken)
    {
        var user = ParseUserId(userId);
        var w = RequestJson.Begin();
        w.WriteString("p_session_id", sessionId);
        WriteNullable(w, "p_title", title);
        w.WriteString("p_user_id", user);
        return CallAsync(userId, "chat_rename_session", RequestJson.End(w),
            static json => Single(Sessions(json), "chat_rename_session").ToSession(), NotFoundKind.Session, sessionId, cancellationToken);
    }

    /// <inheritdoc />
    protected override Task<IReadOnlyList<StoredChatMessage>> AppendMessagesCoreAsync(string userId, Guid sessionId, IReadOnlyList<NewChatMessage> messages, CancellationToken cancellationToken)
    {
        var user = ParseUserId(userId);
        var w = RequestJson.Begin();
        w.WriteString("p_session_id", sessionId);
        w.WriteStartArray("p_messages");
        for (var i = 0; i < messages.Count; i++)
        {
            SqlMessageJson.WriteMessage(w, messages[i]);
        }

        w.WriteEndArray();
        w.WriteString("p_user_id", user);
        WriteMaxVersions(w);
        return CallAsync<IReadOnlyList<StoredChatMessage>>(userId, "chat_append_messages", RequestJson.End(w),
            static json => MessageRowReader.Read(json, allowNullRow: false, out _), NotFoundKind.Session, sessionId, cancellationToken);
    }

    /// <inheritdoc />
    protected override Task<ChatHistorySlice> ReadHistoryCoreAsync(string userId, Guid sessionId, long? boundary, bool older, int limit, CancellationToken cancellationToken) =>
        ReadPathCoreAsync(userId, sessionId, null, false, boundary, older, limit, cancellationToken);

    /// <inheritdoc />
    protected override Task<ChatHistorySlice> ReadPathCoreAsync(string userId, Guid sessionId, Guid? leafId, bool allBranches, long? boundary, bool older, int limit, CancellationToken cancellationToken)
    {
        var user = ParseUserId(userId);
        var w = RequestJson.Begin();
        w.WriteString("p_session_id", sessionId);
        w.WriteNumber("p_limit", limit);
        w.WriteBoolean("p_older", older);
        if (boundary is { } b)
        {
            w.WriteNumber("p_boundary", b);
        }

        w.WriteString("p_user_id", user);
        if (leafId is { } leaf)
        {
            w.WriteString("p_leaf_id", leaf);
        }

        if (allBranches)
        {
            w.WriteBoolean("p_all_branches", true);
        }

        // An empty page is one row of nulls that still carries "beyond".
        return CallAsync(userId, "chat_read_messages", RequestJson.End(w),
            static json => new ChatHistorySlice(MessageRowReader.Read(json, allowNullRow: true, out var beyond, out var siblings), beyond) { Siblings = siblings },
            NotFoundKind.Session, sessionId, cancellationToken);
    }

    /// <inheritdoc />
    protected override Task<ChatSiblings> GetSiblingsCoreAsync(string userId, Guid messageId, CancellationToken cancellationToken)
    {
        var user = ParseUserId(userId);
        var w = RequestJson.Begin();
        w.WriteString("p_message_id", messageId);
        w.WriteString("p_user_id", user);
        return CallAsync(userId, "chat_get_siblings", RequestJson.End(w),
            json =>
            {
                var rows = Deserialize(json, SupabaseJsonContext.Default.ListSiblingRow, "chat_get_siblings");
                var versions = new List<ChatSibling>(rows.Count);
                var index = 0;
                var active = -1;
                foreach (var row in rows)
                {
                    _ = ChatMessageRoleExtensions.TryParseStorageName(row.Role, out var role);
                    if (row.Id == messageId)
                    {
                        index = versions.Count;
                    }

                    if (row.IsActive)
                    {
                        active = versions.Count;
                    }

                    versions.Add(new ChatSibling(row.Id, row.Seq, role, row.CreatedAt.ToUniversalTime(), (ChatReplyStatus)row.Status));
                }

                var first = Single(rows.Count == 0 ? rows : [rows[0]], "chat_get_siblings");
                return new ChatSiblings { SessionId = first.SessionId, ParentId = first.ParentId, Versions = versions, Index = index, ActiveIndex = active };
            },
            NotFoundKind.Message, messageId, cancellationToken);
    }

    /// <inheritdoc />
    protected override Task<ChatActivePath> SwitchBranchCoreAsync(string userId, Guid sessionId, Guid messageId, CancellationToken cancellationToken)
    {
        var user = ParseUserId(userId);
        var w = RequestJson.Begin();
        w.WriteString("p_session_id", sessionId);
        w.WriteString("p_message_id", messageId);
        w.WriteString("p_user_id", user);
        return CallAsync(userId, "chat_switch_branch", RequestJson.End(w),
            json =>
            {
                var row = Single(Deserialize(json, SupabaseJsonContext.Default.ListActivePathRow, "chat_switch_branch"), "chat_switch_branch");
                return new ChatActivePath { SessionId = sessionId, LeafId = row.LeafId, LeafSequence = row.LeafSeq, ForkSequence = row.ForkSeq, Changed = row.Changed };
            },
            NotFoundKind.Session, sessionId, cancellationToken);
    }

    /// <inheritdoc />
    protected override Task<long> ClearSessionCoreAsync(string userId, Guid sessionId, CancellationToken cancellationToken)
    {
        var user = ParseUserId(userId);
        var w = RequestJson.Begin();
        w.WriteString("p_session_id", sessionId);
        w.WriteString("p_user_id", user);
        return CallAsync(userId, "chat_clear_session", RequestJson.End(w),
            static json => Deserialize(json, SupabaseJsonContext.Default.Int64, "chat_clear_session"), NotFoundKind.Session, sessionId, cancellationToken);
    }

    /// <inheritdoc />
    protected override Task<bool> DeleteSessionCoreAsync(string userId, Guid sessionId, CancellationToken cancellationToken)
    {
        var user = ParseUserId(userId);
        var w = RequestJson.Begin();
        w.WriteString("p_session_id", sessionId);
        w.WriteString("p_user_id", user);
        return CallAsync(userId, "chat_delete_session", RequestJson.End(w),
            static json => Deserialize(json, SupabaseJsonContext.Default.Boolean, "chat_delete_session"), NotFoundKind.Session, sessionId, cancellationToken);
    }

    /// <inheritdoc />
    protected override Task<IReadOnlyList<ChatSearchHit>> SearchCoreAsync(string userId, string query, Guid? sessionId, int offset, int limit, CancellationToken cancellationToken)
    {
        var user = ParseUserId(userId);
        var w = RequestJson.Begin();
        w.WriteString("p_query", query);
        w.WriteNumber("p_limit", limit);
        w.WriteNumber("p_offset", offset);
        if (sessionId is { } id)
        {
            w.WriteString("p_session_id", id);
        }

        w.WriteString("p_user_id", user);
        return CallAsync<IReadOnlyList<ChatSearchHit>>(userId, "chat_search", RequestJson.End(w),
            static json => Deserialize(json, SupabaseJsonContext.Default.ListSearchRow, "chat_search").ConvertAll(r =>
            {
                var (snippet, highlights) = HighlightMarkers.Parse(r.Headline);
                return new ChatSearchHit
                {
                    Message = r.ToMessageWithStatus(),
                    WorkflowId = r.WorkflowId,
                    Rank = r.Rank,
                    Snippet = snippet,
                    Highlights = highlights,
                    IsOnActivePath = r.OnActivePath ?? true,
                };
            }),
            NotFoundKind.Session, sessionId, cancellationToken);
    }

    /// <inheritdoc />
    protected override Task<StoredChatMessage> SetFavoriteCoreAsync(string userId, Guid messageId, bool isFavorite, CancellationToken cancellationToken)
    {
        var user = ParseUserId(userId);
        var w = RequestJson.Begin();
        w.WriteString("p_message_id", messageId);
        w.WriteBoolean("p_is_favorite", isFavorite);
        w.WriteString("p_user_id", user);
        return CallAsync(userId, "chat_set_favorite", RequestJson.End(w),
            static json => Single(MessageRowReader.Read(json, allowNullRow: false, out _), "chat_set_favorite"), NotFoundKind.Message, messageId, cancellationToken);
    }

    /// <inheritdoc />
    protected override Task<IReadOnlyList<StoredChatMessage>> ListFavoritesCoreAsync(string userId, Guid? sessionId, long? beforeSequence, int limit, CancellationToken cancellationToken)
    {
        var user = ParseUserId(userId);
        var w = RequestJson.Begin();
        w.WriteNumber("p_limit", limit);
        if (beforeSequence is { } before)
        {
            w.WriteNumber("p_before_seq", before);
        }

        if (sessionId is { } id)
        {
            w.WriteString("p_session_id", id);
        }

        w.WriteString("p_user_id", user);
        return CallAsync<IReadOnlyList<StoredChatMessage>>(userId, "chat_list_favorites", RequestJson.End(w),
            static json => MessageRowReader.Read(json, allowNullRow: false, out _), NotFoundKind.Session, sessionId, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>Needs service mode: Supabase refuses retention to signed-in users (the function is granted to the service role only).</remarks>
    protected override Task<int> DeleteIdleSessionsCoreAsync(DateTimeOffset idleBefore, int maxSessions, CancellationToken cancellationToken)
    {
        if (_mode != SupabaseAuthMode.Service)
        {
            throw new ChatAccessDeniedException("Deleting idle sessions needs the Supabase store in service mode (the service-role key); signed-in users may not run retention.");
        }

        var w = RequestJson.Begin();
        w.WriteString("p_idle_before", SqlMessageJson.Timestamp(idleBefore));
        w.WriteNumber("p_max_sessions", maxSessions);
        return CallAsync(null, "chat_delete_idle_sessions", RequestJson.End(w),
            static json => Deserialize(json, SupabaseJsonContext.Default.Int32, "chat_delete_idle_sessions"), NotFoundKind.Session, null, cancellationToken);
    }

    /// <inheritdoc />
    /// <remarks>
    /// Replies are kept (<see cref="ChatStoreCapabilities.Replies"/>); a writer flushes at most every 200 ms, one RPC request each.
    /// Branches are kept (<see cref="ChatStoreCapabilities.Branches"/>): schema version 4.
    /// </remarks>
    public override ChatStoreCapabilities Capabilities { get; } = new() { Replies = true, Branches = true, ReplyFlushInterval = TimeSpan.FromMilliseconds(200) };

    /// <inheritdoc />
    protected override Task<StoredChatMessage> BeginReplyCoreAsync(string userId, Guid sessionId, NewChatReply reply, TimeSpan lease, CancellationToken cancellationToken)
    {
        var user = ParseUserId(userId);
        var w = RequestJson.Begin();
        w.WriteString("p_session_id", sessionId);
        w.WriteString("p_id", reply.Id);
        if (reply.Metadata is { } metadata)
        {
            w.WritePropertyName("p_metadata");
            metadata.WriteTo(w);
        }

        w.WriteNumber("p_lease_ms", (int)lease.TotalMilliseconds);
        w.WriteString("p_user_id", user);
        if (reply.ParentId is { } parent)
        {
            w.WriteString("p_parent_id", parent);
        }

        WriteMaxVersions(w);
        return CallAsync(userId, "chat_begin_reply", RequestJson.End(w),
            static json => Single(MessageRowReader.Read(json, allowNullRow: false, out _), "chat_begin_reply"), NotFoundKind.Session, sessionId, cancellationToken);
    }

    /// <inheritdoc />
    protected override Task<ChatReplyProgress> GrowReplyCoreAsync(string userId, Guid messageId, ChatTextChunk chunk, CancellationToken cancellationToken)
    {
        var user = ParseUserId(userId);
        var w = RequestJson.Begin();
        w.WriteString("p_message_id", messageId);
        WriteChunk(w, chunk);
        w.WriteString("p_user_id", user);
        return CallAsync(userId, "chat_grow_reply", RequestJson.End(w),
            static json => Single(Deserialize(json, SupabaseJsonContext.Default.ListReplyProgressRow, "chat_grow_reply"), "chat_grow_reply").ToProgress(),
            NotFoundKind.Message, messageId, cancellationToken);
    }

    /// <inheritdoc />
    protected override Task<StoredChatMessage> FinishReplyCoreAsync(string userId, Guid messageId, ChatTextChunk tail, ChatReplyFinish finish, CancellationToken cancellationToken)
    {
        var user = ParseUserId(userId);
        var w = RequestJson.Begin();
        w.WriteString("p_message_id", messageId);
        WriteChunk(w, tail);
        w.WriteNumber("p_status", (int)finish.Status);
        w.WriteNumber("p_reason", (int)finish.Reason);
        WriteNullable(w, "p_detail", finish.ReasonDetail);
        if (finish.Metadata is { } metadata)
        {
            w.WritePropertyName("p_metadata");
            metadata.WriteTo(w);
        }

        w.WriteString("p_user_id", user);
        return CallAsync(userId, "chat_finish_reply", RequestJson.End(w),
            static json => Single(MessageRowReader.Read(json, allowNullRow: false, out _), "chat_finish_reply"), NotFoundKind.Message, messageId, cancellationToken);
    }

    /// <inheritdoc />
    protected override Task<StoredChatMessage> StopReplyCoreAsync(string userId, Guid messageId, CancellationToken cancellationToken)
    {
        var user = ParseUserId(userId);
        var w = RequestJson.Begin();
        w.WriteString("p_message_id", messageId);
        w.WriteString("p_user_id", user);
        return CallAsync(userId, "chat_stop_reply", RequestJson.End(w),
            static json => Single(MessageRowReader.Read(json, allowNullRow: false, out _), "chat_stop_reply"), NotFoundKind.Message, messageId, cancellationToken);
    }

    /// <inheritdoc />
    protected override Task<ChatReplyText> ReadReplyCoreAsync(string userId, Guid messageId, long offset, CancellationToken cancellationToken)
    {
        var user = ParseUserId(userId);
        var w = RequestJson.Begin();
        w.WriteString("p_message_id", messageId);
        w.WriteNumber("p_offset", offset);
        w.WriteString("p_user_id", user);
        return CallAsync(userId, "chat_read_reply", RequestJson.End(w),
            json => Single(Deserialize(json, SupabaseJsonContext.Default.ListReplyTextRow, "chat_read_reply"), "chat_read_reply").ToReplyText(messageId),
            NotFoundKind.Message, messageId, cancellationToken);
    }

    private static Func<HttpClient> CheckClient(HttpClient httpClient)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        return () => httpClient;
    }

    private static T Single<T>(IReadOnlyList<T> rows, string function) => rows.Count == 1
        ? rows[0]
        : throw new ChatPersistenceException($"Supabase returned {rows.Count} rows from {function}; exactly one was expected.");

    private static List<SessionRow> Sessions(ReadOnlySpan<byte> json) => Deserialize(json, SupabaseJsonContext.Default.ListSessionRow, "a session function");

    private static T Deserialize<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> type, string function) =>
        JsonSerializer.Deserialize(json, type) ?? throw new ChatPersistenceException($"Supabase returned null from {function}.");

    // A chunk's offset, stored text, length and size as written, and the size limit: the grow and finish functions' arguments.
    private void WriteChunk(Utf8JsonWriter writer, ChatTextChunk chunk)
    {
        writer.WriteNumber("p_offset", chunk.Offset);
        writer.WriteString("p_text", chunk.StoredText);
        writer.WriteNumber("p_length", chunk.Length);
        writer.WriteNumber("p_utf8_bytes", chunk.Utf8Bytes);
        writer.WriteNumber("p_max_bytes", Options.MaxContentBytes);
    }

    // The versions cap (ChatPersistenceOptions.MaxVersions), sent only when it is not the SQL functions' default (the same
    // 1,000 as the option's): a request of a host that keeps the default is the request it always was.
    private void WriteMaxVersions(Utf8JsonWriter writer)
    {
        if (Options.MaxVersions != ChatPersistenceLimits.DefaultMaxVersions)
        {
            writer.WriteNumber("p_max_versions", Options.MaxVersions);
        }
    }

    private static void WriteNullable(Utf8JsonWriter writer, string name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }

    private static Guid ParseUserId(string userId) =>
        Guid.TryParse(userId, out var id) && id != Guid.Empty
            ? id
            : throw new ArgumentException($"The PostgreSQL and Supabase stores need user ids that are UUIDs (Supabase Auth user ids); '{userId}' is not one.", nameof(userId));

    private async Task<T> CallAsync<T>(
        string? userId,
        string function,
        RentedBytes body,
        ResponseParser<T> parse,
        NotFoundKind notFound,
        Guid? resourceId,
        CancellationToken cancellationToken)
    {
        // The input was validated and the body written before this point; the body stays in its pooled array until the
        // call (retries included) is over.
        var answer = default(RentedBytes);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, _endpoints[function]);
            request.Content = new ReadOnlyMemoryContent(body.Memory);
            request.Content.Headers.TryAddWithoutValidation("Content-Type", JsonMediaType);
            request.Headers.TryAddWithoutValidation("Accept", JsonMediaType);
            request.Headers.TryAddWithoutValidation("apikey", _apiKey);
            request.Headers.TryAddWithoutValidation("X-Client-Info", ClientInfo);
            // PostgREST picks the schema from these (PostgREST "Schemas"); without them it would use the first exposed schema.
            request.Headers.TryAddWithoutValidation("Accept-Profile", _schema);
            request.Headers.TryAddWithoutValidation("Content-Profile", _schema);
            if (_mode == SupabaseAuthMode.User)
            {
                request.Headers.TryAddWithoutValidation("Authorization", await UserAuthorizationAsync(userId, cancellationToken).ConfigureAwait(false));
            }
            else if (_serviceAuthorization is not null)
            {
                request.Headers.TryAddWithoutValidation("Authorization", _serviceAuthorization);
            }

            using var response = await _client().SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            // Success and error bodies alike are read into one pooled array of at most MaxResponseBytes.
            var status = (int)response.StatusCode;
            if (response.Content.Headers.ContentLength is { } announced && announced > _maxResponseBytes)
            {
                throw TooLarge(function, status, $"announced {announced} bytes (Content-Length)");
            }

            var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
            await using (stream.ConfigureAwait(false))
            {
                answer = await ReadToEndAsync(stream, _maxResponseBytes, cancellationToken).ConfigureAwait(false)
                    ?? throw TooLarge(function, status, "sent more");
            }

            if (!response.IsSuccessStatusCode)
            {
                var text = System.Text.Encoding.UTF8.GetString(answer.Span);
                throw SupabaseFailures.Translate(status, SupabaseFailures.TryParse(text), function, _schema, notFound, resourceId);
            }

            return parse(answer.Span);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (HttpRequestException ex)
        {
            throw new ChatPersistenceException($"The Supabase API could not be reached for {function}: {ex.Message}", ex)
            {
                IsTransient = true,
                HttpStatusCode = ex.StatusCode is { } status ? (int)status : null,
            };
        }
        catch (OperationCanceledException ex)
        {
            throw new ChatPersistenceException($"The Supabase API did not answer {function} in time.", ex) { IsTransient = true };
        }
        catch (ExecutionRejectedException ex)
        {
            // The resilience pipeline gave up (total timeout, open circuit): the call may succeed later.
            throw new ChatPersistenceException($"The Supabase API did not answer {function} in time: {ex.Message}", ex) { IsTransient = true };
        }
        catch (JsonException ex)
        {
            throw new ChatPersistenceException($"Supabase answered {function} with JSON the store did not expect: {ex.Message}. Are the ChatPersistence migrations up to date?", ex);
        }
        finally
        {
            answer.Return();
            body.Return();
        }
    }

    /// <summary>
    /// Reads the answer into one pooled array, so that it is parsed synchronously with no copy into strings or nodes; returns
    /// <see langword="null"/> (with the array back in the pool) as soon as the body passes <paramref name="max"/> bytes.
    /// </summary>
    private static async ValueTask<RentedBytes?> ReadToEndAsync(Stream stream, int max, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(AnswerBufferSize, max + 1));
        var length = 0;
        try
        {
            int read;
            // Never asks for more than one byte past the limit: that byte is enough to know the body is too large.
            while ((read = await stream.ReadAsync(buffer.AsMemory(length, (int)Math.Min(buffer.Length, max + 1L) - length), cancellationToken).ConfigureAwait(false)) > 0)
            {
                length += read;
                if (length > max)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return null;
                }

                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(buffer.Length * 2L, max + 1L));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
            }

            return new RentedBytes(buffer, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private SupabaseResponseTooLargeException TooLarge(string function, int status, string what) =>
        SupabaseFailures.TooLarge(function, status, _maxResponseBytes, what);

    /// <summary>The <c>Authorization</c> value for the user's current token; the value for the last token is kept and reused.</summary>
    private async ValueTask<string> UserAuthorizationAsync(string? userId, CancellationToken cancellationToken)
    {
        var token = userId is null ? null : await _tokens!(userId, cancellationToken).ConfigureAwait(false);
        if (string.IsNullOrWhiteSpace(token))
        {
            throw new ChatAccessDeniedException("No access token: the Supabase store in user mode acts only for a signed-in user (the AccessTokenProvider returned none).");
        }

        var last = _lastAuthorization;
        if (last is not null && string.Equals(last.Token, token, StringComparison.Ordinal))
        {
            return last.Value;
        }

        var value = "Bearer " + (token.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? token[7..] : token);
        _lastAuthorization = new BearerAuthorization(token, value);
        return value;
    }
}
