using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Security.Claims;
using Microsoft.Extensions.Options;
using ModelContextProtocol.Server;

namespace ChatPersistence.Sdk.Mcp.Internal;

/// <summary>
/// The read-only chat history tools. One instance per call (the SDK creates it from the request's services). Every page is
/// re-read with a smaller page size when it does not fit the character budget, so the store's own cursor continues right after
/// the last item returned: nothing is skipped, and no cursor format of our own exists.
/// </summary>
[McpServerToolType]
internal sealed class ChatHistoryTools(IChatSessionStore store, IOptions<ChatHistoryToolsOptions> options)
{
    public const int MaxPageSize = 50;
    public const int DefaultPageSize = 20;
    public const int MaxSearchPageSize = 20;
    public const int DefaultSearchPageSize = 10;
    public const int MaxSnippetCharacters = 400;
    public const int MaxVersionsPageSize = 20;
    public const int DefaultVersionsPageSize = 10;
    public const int MaxVersionTextCharacters = 200;

    // `,"onActivePath":false`: what a hit off the active path adds.
    private static readonly int OffPathCost = "onActivePath".Length + 4 + "false".Length;

    private readonly ChatHistoryToolsOptions _options = options.Value;

    [McpServerTool(Name = ChatHistoryToolNames.SearchChatHistory, Title = "Search chat history", ReadOnly = true, Idempotent = true, Destructive = false, OpenWorld = false, UseStructuredContent = true)]
    [Description("Searches the user's past chat conversations, in every workflow or in one, and returns the best-matching messages " +
        "(workflow, time, role, message id and a short snippet around the match). Words match whole words, ignoring case and accents; " +
        "end a word with * to match words that start with it (invoic* finds invoice and invoices). To read the conversation around a hit, " +
        "call get_chat_messages with its workflow.")]
    public Task<SearchResult> SearchChatHistoryAsync(
        [Description("The words to look for, e.g. \"invoice march\" (1 to 500 characters, at least one letter or digit).")] string query,
        [Description("Only search the chat of this workflow (an id from list_workflows). Omit to search every workflow.")] string? workflow = null,
        [Description("How many hits to return, 1 to 20.")][Range(1, MaxSearchPageSize)] int limit = DefaultSearchPageSize,
        [Description("The nextCursor of a previous result of the same search (same query and workflow), to read more hits. Omit for the first page.")] string? cursor = null,
        ClaimsPrincipal? user = null,
        CancellationToken cancellationToken = default) => ToolErrors.RunAsync(async () =>
        {
            var userId = ToolUser.Resolve(user, _options);
            Guid? sessionId = workflow is null ? null : (await WorkflowLookup.RequireAsync(store, userId, workflow, cancellationToken).ConfigureAwait(false)).Id;
            var size = Math.Clamp(limit, 1, MaxSearchPageSize);
            while (true)
            {
                var page = await store.SearchAsync(userId, new ChatSearchRequest(query) { SessionId = sessionId, PageSize = size, Cursor = Blank(cursor) }, cancellationToken).ConfigureAwait(false);
                var hits = page.Items.Select(hit =>
                {
                    var state = ReplyState.Of(hit.Message, Math.Min(MaxSnippetCharacters, _options.MaxMessageCharacters));

                    // `,"onActivePath":false` is paid for from the snippet, so a hit is never larger than before.
                    var room = hit.IsOnActivePath ? state.TextRoom : state.TextRoom - OffPathCost;
                    return new SearchHitItem
                    {
                        Workflow = hit.WorkflowId,
                        MessageId = hit.Message.Id,
                        Role = hit.Message.Role.ToStorageName(),
                        Time = TextBudget.Time(hit.Message.CreatedAt),
                        Snippet = TextBudget.Cut(hit.Snippet, room, out _),
                        Favorite = hit.Message.IsFavorite ? true : null,
                        Status = state.Status,
                        Reason = state.Reason,
                        ReasonDetail = state.ReasonDetail,
                        OnActivePath = hit.IsOnActivePath ? null : false,
                    };
                }).ToList();
                var result = new SearchResult { Hits = hits, NextCursor = page.NextCursor };
                var fit = Fit(result, hits, envelope: new SearchResult { Hits = [], NextCursor = page.NextCursor }, fromEnd: false);
                if (fit == hits.Count || size == 1)
                {
                    return result;
                }

                size = fit;
            }
        });

    [McpServerTool(Name = ChatHistoryToolNames.GetChatMessages, Title = "Read a workflow's chat", ReadOnly = true, Idempotent = true, Destructive = false, OpenWorld = false, UseStructuredContent = true)]
    [Description("Reads one workflow's chat history: a page of messages, oldest first, that ends with the newest message (or, with before, " +
        "just before the page that returned it). Long messages are cut short and marked truncated. A reply that is not complete has a status " +
        "(streaming: still being written; stopped; interrupted) and a reason. The chat shows one version of the conversation: a message " +
        "that has other versions (an edited question, a regenerated answer) says so in versions; get_message_versions lists them. To go further back, call again with " +
        "before set to the result's before value; when it is absent you have reached the start of the chat.")]
    public Task<MessagePageResult> GetChatMessagesAsync(
        [Description("The workflow id (from list_workflows, or the workflow of a search hit).")] string workflow,
        [Description("How many messages to return, 1 to 50.")][Range(1, MaxPageSize)] int limit = DefaultPageSize,
        [Description("The before value of a previous result for the same workflow, to read the older messages before that page. Omit to read the newest messages.")] string? before = null,
        ClaimsPrincipal? user = null,
        CancellationToken cancellationToken = default) => ToolErrors.RunAsync(async () =>
        {
            var userId = ToolUser.Resolve(user, _options);
            var session = await WorkflowLookup.RequireAsync(store, userId, workflow, cancellationToken).ConfigureAwait(false);
            var size = Math.Clamp(limit, 1, MaxPageSize);
            while (true)
            {
                var page = await store.GetMessagesAsync(userId, session.Id, new ChatHistoryRequest { PageSize = size, Cursor = Blank(before), Start = ChatHistoryStart.Newest }, cancellationToken).ConfigureAwait(false);
                var positions = page.Siblings.Count == 0 ? null : page.Siblings.ToDictionary(p => p.MessageId);
                var messages = page.Messages.Select(m => Message(m, positions)).ToList();
                var older = page.HasOlder ? page.OlderCursor : null;
                var result = new MessagePageResult { Workflow = session.WorkflowId, MessageCount = session.MessageCount, Messages = messages, Before = older };
                var fit = Fit(result, messages, new MessagePageResult { Workflow = session.WorkflowId, MessageCount = session.MessageCount, Messages = [], Before = older ?? page.OlderCursor }, fromEnd: true);
                if (fit == messages.Count || size == 1)
                {
                    return result;
                }

                size = fit; // keep the newest messages that fit: the store's older cursor then points right before them
            }
        });

    [McpServerTool(Name = ChatHistoryToolNames.ListWorkflows, Title = "List chat workflows", ReadOnly = true, Idempotent = true, Destructive = false, OpenWorld = false, UseStructuredContent = true)]
    [Description("Lists the workflows in which the user has a chat, most recently active first, with each chat's title, message count " +
        "and last message time. Use a workflow id with get_chat_messages, search_chat_history or list_favorite_messages.")]
    public Task<WorkflowListResult> ListWorkflowsAsync(
        [Description("How many workflows to return, 1 to 50.")][Range(1, MaxPageSize)] int limit = DefaultPageSize,
        [Description("The nextCursor of a previous result, to read more workflows. Omit for the first page.")] string? cursor = null,
        ClaimsPrincipal? user = null,
        CancellationToken cancellationToken = default) => ToolErrors.RunAsync(async () =>
        {
            var userId = ToolUser.Resolve(user, _options);
            var size = Math.Clamp(limit, 1, MaxPageSize);
            while (true)
            {
                var page = await store.ListSessionsAsync(userId, new ChatListRequest { PageSize = size, Cursor = Blank(cursor) }, cancellationToken).ConfigureAwait(false);
                var workflows = page.Items.Select(s => new WorkflowItem
                {
                    Workflow = s.WorkflowId,
                    Title = s.Title is { } title ? TextBudget.Cut(title, MaxSnippetCharacters, out _) : null,
                    MessageCount = s.MessageCount,
                    LastMessageTime = s.LastMessageAt is { } last ? TextBudget.Time(last) : null,
                }).ToList();
                var result = new WorkflowListResult { Workflows = workflows, NextCursor = page.NextCursor };
                var fit = Fit(result, workflows, new WorkflowListResult { Workflows = [], NextCursor = page.NextCursor }, fromEnd: false);
                if (fit == workflows.Count || size == 1)
                {
                    return result;
                }

                size = fit;
            }
        });

    [McpServerTool(Name = ChatHistoryToolNames.ListFavoriteMessages, Title = "List favourite messages", ReadOnly = true, Idempotent = true, Destructive = false, OpenWorld = false, UseStructuredContent = true)]
    [Description("Lists the messages the user starred as favourites, most recently written first, in every workflow or in one, with " +
        "their workflow, time, role, id and text (long texts are cut short and marked truncated).")]
    public Task<FavoriteListResult> ListFavoriteMessagesAsync(
        [Description("Only list the favourites of this workflow's chat. Omit to list them across every workflow.")] string? workflow = null,
        [Description("How many messages to return, 1 to 50.")][Range(1, MaxPageSize)] int limit = DefaultPageSize,
        [Description("The nextCursor of a previous result with the same workflow, to read more favourites. Omit for the first page.")] string? cursor = null,
        ClaimsPrincipal? user = null,
        CancellationToken cancellationToken = default) => ToolErrors.RunAsync(async () =>
        {
            var userId = ToolUser.Resolve(user, _options);
            var workflows = new Dictionary<Guid, string>();
            Guid? sessionId = null;
            if (workflow is not null)
            {
                var session = await WorkflowLookup.RequireAsync(store, userId, workflow, cancellationToken).ConfigureAwait(false);
                sessionId = session.Id;
                workflows[session.Id] = session.WorkflowId;
            }

            var size = Math.Clamp(limit, 1, MaxPageSize);
            while (true)
            {
                var page = await store.ListFavoritesAsync(userId, new ChatFavoritesRequest { SessionId = sessionId, PageSize = size, Cursor = Blank(cursor) }, cancellationToken).ConfigureAwait(false);
                var messages = new List<FavoriteItem>(page.Items.Count);
                foreach (var message in page.Items)
                {
                    if (!workflows.TryGetValue(message.SessionId, out var workflowId))
                    {
                        // Favourites carry their session id; name its workflow (a session deleted meanwhile has no messages left to list).
                        workflowId = (await store.GetSessionAsync(userId, message.SessionId, cancellationToken).ConfigureAwait(false))?.WorkflowId;
                        if (workflowId is null)
                        {
                            continue;
                        }

                        workflows[message.SessionId] = workflowId;
                    }

                    var state = ReplyState.Of(message, _options.MaxMessageCharacters);
                    var text = TextBudget.Cut(message.Content, state.TextRoom, out var truncated);
                    messages.Add(new FavoriteItem
                    {
                        Workflow = workflowId,
                        Id = message.Id,
                        Role = message.Role.ToStorageName(),
                        Time = TextBudget.Time(message.CreatedAt),
                        Text = text,
                        Truncated = truncated ? true : null,
                        Status = state.Status,
                        Reason = state.Reason,
                        ReasonDetail = state.ReasonDetail,
                    });
                }

                var result = new FavoriteListResult { Messages = messages, NextCursor = page.NextCursor };
                var fit = Fit(result, messages, new FavoriteListResult { Messages = [], NextCursor = page.NextCursor }, fromEnd: false);
                if (fit == messages.Count || size == 1)
                {
                    return result;
                }

                size = fit;
            }
        });

    [McpServerTool(Name = ChatHistoryToolNames.GetMessageVersions, Title = "List the versions of a message", ReadOnly = true, Idempotent = true, Destructive = false, OpenWorld = false, UseStructuredContent = true)]
    [Description("Lists the versions of one message, oldest first: the user may have edited a question or regenerated an answer, and every " +
        "version is kept. Each version has its id, role, time, the start of its text and, for the one shown in the chat, active = true. " +
        "Use it for a message whose get_chat_messages item has versions. Read-only: it does not change which version is shown.")]
    public Task<MessageVersionsResult> GetMessageVersionsAsync(
        [Description("The message id (a UUID) from a previous result.")] Guid messageId,
        [Description("How many versions to return, 1 to 20.")][Range(1, MaxVersionsPageSize)] int limit = DefaultVersionsPageSize,
        [Description("The 0-based position of the first version to return (the next value of a previous result). Omit to start with the oldest.")][Range(0, int.MaxValue)] int from = 0,
        ClaimsPrincipal? user = null,
        CancellationToken cancellationToken = default) => ToolErrors.RunAsync(async () =>
        {
            var userId = ToolUser.Resolve(user, _options);
            var siblings = await store.GetSiblingsAsync(userId, messageId, cancellationToken).ConfigureAwait(false);
            var workflow = (await store.GetSessionAsync(userId, siblings.SessionId, cancellationToken).ConfigureAwait(false))?.WorkflowId
                ?? throw ChatNotFoundException.ForMessage(messageId);
            var count = siblings.Versions.Count;
            var first = Math.Clamp(from, 0, count);
            var size = Math.Min(Math.Clamp(limit, 1, MaxVersionsPageSize), count - first);
            var versions = new List<MessageVersionItem>(size);
            for (var i = first; i < first + size; i++)
            {
                // Each version's text is the newest message of the path that ends at it (one small keyset read).
                var version = siblings.Versions[i];
                var path = await store.GetMessagesAsync(userId, siblings.SessionId, new ChatHistoryRequest { PageSize = 1, LeafId = version.Id }, cancellationToken).ConfigureAwait(false);
                var message = path.Messages[0];
                var state = ReplyState.Of(message, Math.Min(MaxVersionTextCharacters, _options.MaxMessageCharacters));
                var text = TextBudget.Cut(message.Content, state.TextRoom, out var truncated);
                versions.Add(new MessageVersionItem
                {
                    Id = version.Id,
                    Role = version.Role.ToStorageName(),
                    Time = TextBudget.Time(version.CreatedAt),
                    Text = text,
                    Truncated = truncated ? true : null,
                    Active = i == siblings.ActiveIndex ? true : null,
                    Status = state.Status,
                    Reason = state.Reason,
                });
            }

            var next = first + versions.Count < count ? first + versions.Count : (int?)null;
            var result = new MessageVersionsResult { Workflow = workflow, MessageId = messageId, Index = siblings.Index, Count = count, Versions = versions, Next = next };
            var fit = Fit(result, versions, new MessageVersionsResult { Workflow = workflow, MessageId = messageId, Index = siblings.Index, Count = count, Versions = [], Next = count }, fromEnd: false);
            if (fit == versions.Count)
            {
                return result;
            }

            return new MessageVersionsResult { Workflow = workflow, MessageId = messageId, Index = siblings.Index, Count = count, Versions = versions.GetRange(0, fit), Next = first + fit };
        });

    private MessageItem Message(StoredChatMessage message, Dictionary<Guid, ChatSiblingPosition>? positions)
    {
        var state = ReplyState.Of(message, _options.MaxMessageCharacters);
        VersionPosition? versions = null;
        var room = state.TextRoom;
        if (positions is not null && positions.TryGetValue(message.Id, out var position) && position.Count > 1)
        {
            // `,"versions":{…}` is paid for from the message's text budget, as the status fields are: an item never grows.
            versions = new VersionPosition { Index = position.Index, Count = position.Count };
            room -= "versions".Length + 4 + ToolJson.Length(versions);
        }

        var text = TextBudget.Cut(message.Content, room, out var truncated);
        return new MessageItem
        {
            Id = message.Id,
            Role = message.Role.ToStorageName(),
            Time = TextBudget.Time(message.CreatedAt),
            Text = text,
            Truncated = truncated ? true : null,
            Favorite = message.IsFavorite ? true : null,
            Status = state.Status,
            Reason = state.Reason,
            ReasonDetail = state.ReasonDetail,
            Versions = versions,
        };
    }

    /// <summary>
    /// How many items fit the budget (all of them when the whole result fits), measured as the model receives the result through
    /// the official client (<see cref="ToolJson.ModelLength"/>: text and structuredContent), not as the text alone.
    /// </summary>
    private int Fit<TResult, TItem>(TResult result, List<TItem> items, TResult envelope, bool fromEnd)
    {
        if (ToolJson.ModelLength(result) <= _options.MaxResultCharacters)
        {
            return items.Count;
        }

        // ResultFit adds one character per separator; ModelItemLength already counts both commas.
        return ResultFit.Count(items.ConvertAll(item => ToolJson.ModelItemLength(item) - 1), ToolJson.ModelLength(envelope), _options.MaxResultCharacters, fromEnd);
    }

    /// <summary>An empty or blank cursor means "the first page" (models often send "" for an absent argument).</summary>
    private static string? Blank(string? cursor) => string.IsNullOrWhiteSpace(cursor) ? null : cursor;
}
