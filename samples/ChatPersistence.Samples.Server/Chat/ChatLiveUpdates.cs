using ChatPersistence.Sdk;
using ChatPersistence.Sdk.ChangeFeed;

namespace ChatPersistence.Samples.Server.Chat;

/// <summary>
/// Keeps one socket live across devices and server instances: it watches the store's change feed for the socket's user
/// and, for changes of the socket's workflow, reads what is new through the keyset API (after the last message this socket
/// has) and pushes it — <c>message</c> frames in sequence order, a <c>snapshot</c> after a clear or a delete, a
/// <c>favorite</c> frame when a favourite is set. The feed carries ids only; a change is a hint to read, so a repeated or
/// late hint sends nothing twice (the socket's own acknowledged messages are skipped too). Replies in progress generated on
/// another instance: <c>reply.grew</c> (id and stored length: the client reads the new text through
/// <c>GET /api/messages/{id}/text?offset=</c>) and, when one ends, <c>assistant.end</c> with the stored message. A stop requested
/// elsewhere for a reply generated here stops it at once.
/// </summary>
internal sealed class ChatLiveUpdates(IChatSessionStore store, ChatConnection connection, LiveReplies replies)
{
    private const int PageSize = 100;
    private readonly HashSet<Guid> _otherSessions = [];
    private Guid? _readSession;
    private string? _cursor;
    private long _lastSequence;

    /// <summary>Where the socket's history (or catch-up) left off: the page read newest-first for the connect frame.</summary>
    public void Start(Guid? sessionId, ChatMessagePage? newest)
    {
        _readSession = sessionId;
        _cursor = newest?.NewerCursor;
        _lastSequence = newest is { Messages.Count: > 0 } ? newest.Messages[^1].Sequence : 0;
    }

    /// <summary>Runs until the socket closes: subscribe, read what was committed since the history was read, then follow the feed.</summary>
    public async Task RunAsync(IChatChangeFeed feed, CancellationToken cancellation)
    {
        var changes = feed.WatchAsync(connection.UserId, cancellationToken: cancellation).GetAsyncEnumerator(cancellation);
        await using (changes)
        {
            // The first MoveNextAsync subscribes; what was committed between the history read and the subscription is read now.
            var next = changes.MoveNextAsync();
            if (connection.Session is { } session)
            {
                await ReadNewAsync(session.Id, cancellation);
            }

            while (await next)
            {
                await ApplyAsync(changes.Current, cancellation);
                next = changes.MoveNextAsync();
            }
        }
    }

    private async Task ApplyAsync(ChatChange change, CancellationToken cancellation)
    {
        if (change is { Kind: ChatChangeKind.ReplyStopRequested, MessageId: { } stopped })
        {
            // Whatever the workflow: a reply of this user generated on this instance stops now (not at its next flush).
            replies.TryStop(stopped);
            return;
        }

        if (!await IsThisWorkflowAsync(change, cancellation))
        {
            return;
        }

        switch (change.Kind)
        {
            case ChatChangeKind.MessagesAppended when change.Sequence is not { } sequence || sequence > _lastSequence || _readSession != change.SessionId:
                await ReadNewAsync(change.SessionId, cancellation);
                break;
            case ChatChangeKind.SessionCleared:
                await SnapshotAsync(change.SessionId, "cleared", cancellation);
                break;
            case ChatChangeKind.SessionDeleted:
                connection.Session = null;
                _readSession = null;
                _cursor = null;
                await connection.SendAsync(new { type = "snapshot", reason = "deleted", workflowId = connection.WorkflowId, sessionId = (Guid?)null, messages = Array.Empty<MessageDto>(), hasOlder = false, olderCursor = (string?)null, through = _lastSequence }, cancellation);
                break;
            case ChatChangeKind.ReplyGrew when change.MessageId is { } grown && change.Length is { } length && !replies.IsGeneratingHere(grown):
                await connection.SendAsync(new { type = "reply.grew", id = grown, length, sequence = change.Sequence }, cancellation);
                break;
            case ChatChangeKind.ReplyEnded when change.MessageId is { } ended && !replies.IsGeneratingHere(ended):
                await SendEndedAsync(change.SessionId, ended, cancellation);
                break;
            case ChatChangeKind.ActivePathChanged:
                await PathChangedAsync(change, cancellation);
                break;
            case ChatChangeKind.FavoriteSet when change.MessageId is { } id && change.IsFavorite is { } on:
                await connection.SendAsync(new { type = "favorite", id, isFavorite = on, sequence = change.Sequence }, cancellation);
                break;
            default:
                break;
        }
    }

    // A reply generated on another instance ended: the stored message (final text, status, reason) from the newest page,
    // where a reply that just ended is; one further back is read again by the client at its lease.
    private async Task SendEndedAsync(Guid sessionId, Guid messageId, CancellationToken cancellation)
    {
        ChatMessagePage page;
        try
        {
            page = await store.GetMessagesAsync(connection.UserId, sessionId, new ChatHistoryRequest { PageSize = PageSize }, cancellation);
        }
        catch (ChatNotFoundException)
        {
            return;
        }

        if (page.Messages.FirstOrDefault(m => m.Id == messageId) is { } message)
        {
            await connection.SendAsync(new { type = "assistant.end", message = MessageDto.From(message) }, cancellation);
        }
    }

    // The feed reports all of the user's sessions: is this change about the socket's workflow? A session created elsewhere
    // (first message sent from another tab or instance, or a new one after a delete) is looked up once and adopted.
    private async Task<bool> IsThisWorkflowAsync(ChatChange change, CancellationToken cancellation)
    {
        if (connection.Session?.Id == change.SessionId)
        {
            return true;
        }

        if (change.Kind == ChatChangeKind.SessionDeleted || _otherSessions.Contains(change.SessionId))
        {
            return false;
        }

        var session = await store.GetSessionAsync(connection.UserId, change.SessionId, cancellation);
        if (session is null || !string.Equals(session.WorkflowId, connection.WorkflowId, StringComparison.Ordinal))
        {
            if (session is not null && _otherSessions.Count < 10_000)
            {
                _otherSessions.Add(change.SessionId);
            }

            return false;
        }

        connection.Session = session;
        return true;
    }

    // Reads the session after the last message this socket has (keyset) and sends each new one once, in sequence order.
    private async Task ReadNewAsync(Guid sessionId, CancellationToken cancellation)
    {
        if (_readSession != sessionId)
        {
            _readSession = sessionId;
            _cursor = null;
            _lastSequence = 0;
        }

        while (true)
        {
            var request = _cursor is null ? new ChatHistoryRequest { PageSize = PageSize, Start = ChatHistoryStart.Oldest } : new ChatHistoryRequest { PageSize = PageSize, Cursor = _cursor };
            ChatMessagePage page;
            try
            {
                page = await store.GetMessagesAsync(connection.UserId, sessionId, request, cancellation);
            }
            catch (ChatNotFoundException)
            {
                return; // deleted meanwhile: its SessionDeleted change follows
            }

            foreach (var message in page.Messages)
            {
                if (message.Sequence <= _lastSequence)
                {
                    continue;
                }

                _lastSequence = message.Sequence;
                if (!connection.TakeAcknowledged(message.Id))
                {
                    await connection.SendAsync(new { type = "message", message = MessageDto.From(message) }, cancellation);
                }
            }

            _cursor = page.NewerCursor ?? _cursor;
            if (!page.HasNewer)
            {
                return;
            }
        }
    }

    /// <summary>
    /// The <c>path</c> frame: the session's active path changed (a switch, an edit, a regenerated answer — on any tab or
    /// instance). <c>forkSequence</c> is the last sequence the old and new paths share (null: none): the client keeps its
    /// messages up to it and takes the newest page of the new path, <c>messages</c> with <c>siblings</c>, for the rest.
    /// </summary>
    public static object PathFrame(string workflowId, Guid sessionId, Guid? leafId, long? forkSequence, bool changed, ChatMessagePage page) => new
    {
        type = "path",
        workflowId,
        sessionId,
        leafId,
        forkSequence,
        changed,
        messages = page.Messages.Select(MessageDto.From),
        siblings = MessageDto.Siblings(page),
        hasOlder = page.HasOlder,
        olderCursor = page.OlderCursor,
    };

    // The active path changed: the socket's position moves to the new path's newest page, which it sends in a `path` frame;
    // what is appended after it follows as `message` frames (a later MessagesAppended of the same append is already in the page).
    private async Task PathChangedAsync(ChatChange change, CancellationToken cancellation)
    {
        ChatMessagePage page;
        try
        {
            page = await store.GetMessagesAsync(connection.UserId, change.SessionId, new ChatHistoryRequest { PageSize = ChatHistoryRequest.DefaultPageSize }, cancellation);
        }
        catch (ChatNotFoundException)
        {
            return;
        }

        foreach (var message in page.Messages)
        {
            connection.TakeAcknowledged(message.Id);
        }

        _readSession = change.SessionId;
        _cursor = page.NewerCursor;
        _lastSequence = page.Messages.Count > 0 ? page.Messages[^1].Sequence : 0;
        await connection.SendAsync(PathFrame(connection.WorkflowId, change.SessionId, change.MessageId, change.ForkSequence, changed: true, page), cancellation);
    }

    // After a clear, the socket gets the session's newest page as it is now (what was sent after the clear included).
    // `through`: sequences are never reused, and every change logged before the clear was handled before it, so a message
    // the client has with a sequence up to this one and not in the page is gone; one above it was saved after the read.
    private async Task SnapshotAsync(Guid sessionId, string reason, CancellationToken cancellation)
    {
        ChatMessagePage page;
        try
        {
            page = await store.GetMessagesAsync(connection.UserId, sessionId, new ChatHistoryRequest { PageSize = ChatHistoryRequest.DefaultPageSize }, cancellation);
        }
        catch (ChatNotFoundException)
        {
            return;
        }

        foreach (var message in page.Messages)
        {
            connection.TakeAcknowledged(message.Id);
        }

        _readSession = sessionId;
        _cursor = page.NewerCursor;
        _lastSequence = Math.Max(_lastSequence, page.Messages.Count > 0 ? page.Messages[^1].Sequence : 0);
        await connection.SendAsync(new
        {
            type = "snapshot",
            reason,
            workflowId = connection.WorkflowId,
            sessionId,
            messages = page.Messages.Select(MessageDto.From),
            siblings = MessageDto.Siblings(page),
            hasOlder = page.HasOlder,
            olderCursor = page.OlderCursor,
            through = _lastSequence,
        }, cancellation);
    }
}
