using System.Text.Json;

namespace ChatPersistence.Sdk.Export;

/// <summary>
/// Imports a JSON export (<see cref="ChatExporter"/>, format <c>chatpersistence.export</c> v1) into any store: the session is
/// got-or-created for (user, workflow) and the messages appended in batches with their ids, roles, metadata and creation
/// times, then favourites restored. Appends are idempotent by id, so importing the same file twice adds nothing.
/// </summary>
/// <remarks>
/// <para>
/// Replies that were not complete (<c>status</c> <c>stopped</c>, <c>interrupted</c> or <c>streaming</c>) never come back as
/// complete on a store that keeps replies in progress (<see cref="ChatStoreCapabilities.Replies"/>): each is begun with its
/// id (<see cref="IChatSessionStore.BeginReplyAsync"/>, in its place after the messages before it) and ended at once
/// (<see cref="IChatSessionStore.FinishReplyAsync"/>) with its text, metadata, status, reason and detail. A reply exported
/// while it was <c>streaming</c> is imported as <see cref="ChatReplyStatus.Interrupted"/>/<see cref="ChatReplyReason.LeaseExpired"/>
/// (its writer is not there any more), or <see cref="ChatReplyStatus.Stopped"/>/<see cref="ChatReplyReason.StopRequested"/>
/// when a stop had been requested — what the store itself shows once the lease has passed. Such a reply's
/// <see cref="StoredChatMessage.CreatedAt"/> is the time of the import (a begun reply takes the store's clock), not the
/// exported time. Begin and finish are idempotent (the first end wins), so importing twice still adds nothing.
/// </para>
/// <para>
/// On a store without replies in progress those messages are imported as ordinary complete messages (their text and
/// metadata kept, the status lost). Files without <c>status</c> (written before it existed) import every message as complete.
/// </para>
/// <para>
/// A whole tree (version 2, <see cref="ChatExportBranches.All"/>) is imported with every message under its parent and the
/// exported active leaf made active again (<see cref="IChatSessionStore.SwitchBranchAsync"/>), on a store with
/// <see cref="ChatStoreCapabilities.Branches"/>; a store without branches gets the exported active path only.
/// </para>
/// </remarks>
public static class ChatImporter
{
    /// <summary>Imports an export into <paramref name="store"/> for <paramref name="userId"/>.</summary>
    /// <param name="store">The target store.</param>
    /// <param name="userId">The user who will own the imported session (the export's user id is not reused).</param>
    /// <param name="source">A readable stream holding the JSON export.</param>
    /// <param name="workflowId">The workflow to import into; <see langword="null"/> keeps the export's workflow id.</param>
    /// <param name="cancellationToken">Cancels the import (batches already appended stay; re-running completes it).</param>
    /// <returns>The session the messages were imported into.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="FormatException">The stream is not a <c>chatpersistence.export</c> version 1 or 2 document, a message has an
    /// unknown role, status or reason, or a parent that is not an earlier message of the file.</exception>
    /// <exception cref="ArgumentException">A message in the export breaks the store's input rules.</exception>
    /// <exception cref="ChatConflictException">A message id exists with different content (e.g. imported for another user).</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    public static async Task<ChatSession> ImportAsync(this IChatSessionStore store, string userId, Stream source, string? workflowId = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(source);
        using var document = await JsonDocument.ParseAsync(source, cancellationToken: cancellationToken).ConfigureAwait(false);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object
            || !root.TryGetProperty("format", out var format) || format.GetString() != ChatExporter.JsonFormatName
            || !root.TryGetProperty("version", out var version) || version.ValueKind != JsonValueKind.Number
            || version.GetInt32() is not (ChatExporter.JsonFormatVersion or ChatExporter.JsonTreeFormatVersion))
        {
            throw new FormatException($"The stream is not a {ChatExporter.JsonFormatName} version {ChatExporter.JsonFormatVersion} or {ChatExporter.JsonTreeFormatVersion} document.");
        }

        var tree = version.GetInt32() == ChatExporter.JsonTreeFormatVersion;
        var branches = tree && store.Capabilities.Branches;
        var onActivePath = tree && !branches ? ActivePath(root) : null;

        var exported = root.GetProperty("session");
        var session = await store.GetOrCreateSessionAsync(
            userId,
            workflowId ?? exported.GetProperty("workflowId").GetString()!,
            exported.TryGetProperty("title", out var title) && title.ValueKind == JsonValueKind.String ? title.GetString() : null,
            cancellationToken).ConfigureAwait(false);

        var replies = store.Capabilities.Replies;
        var batch = new List<NewChatMessage>(ChatPersistenceLimits.MaxBatchSize);
        var favorites = new List<Guid>();
        foreach (var m in root.GetProperty("messages").EnumerateArray())
        {
            if (onActivePath is not null && !onActivePath.Contains(m.GetProperty("id").GetGuid()))
            {
                continue;
            }

            if (!ChatMessageRoleExtensions.TryParseStorageName(m.GetProperty("role").GetString(), out var role))
            {
                throw new FormatException($"Message {m.GetProperty("id")} has an unknown role.");
            }

            var message = new NewChatMessage(role, m.GetProperty("content").GetString()!, m.GetProperty("metadata").Clone())
            {
                Id = m.GetProperty("id").GetGuid(),
                CreatedAt = m.GetProperty("createdAt").GetDateTimeOffset(),
                ParentId = branches ? ParentOf(m) ?? NewChatMessage.RootParent : null,
            };
            if (m.TryGetProperty("isFavorite", out var favorite) && favorite.GetBoolean())
            {
                favorites.Add(message.Id);
            }

            var end = UnfinishedEnd(m);
            if (end is not null && replies)
            {
                // A reply takes its place after the newest stored message: what comes before it is appended first.
                if (batch.Count > 0)
                {
                    await store.AppendMessagesAsync(userId, session.Id, batch, cancellationToken).ConfigureAwait(false);
                    batch.Clear();
                }

                await store.BeginReplyAsync(userId, session.Id, new NewChatReply { Id = message.Id, ParentId = ParentOf(m) is { } parent && branches ? parent : null }, cancellationToken).ConfigureAwait(false);
                await store.FinishReplyAsync(userId, message.Id, end with { Text = message.Content, Metadata = message.Metadata }, cancellationToken).ConfigureAwait(false);
                continue;
            }

            batch.Add(message);
            if (batch.Count == ChatPersistenceLimits.MaxBatchSize)
            {
                await store.AppendMessagesAsync(userId, session.Id, batch, cancellationToken).ConfigureAwait(false);
                batch.Clear();
            }
        }

        if (batch.Count > 0)
        {
            await store.AppendMessagesAsync(userId, session.Id, batch, cancellationToken).ConfigureAwait(false);
        }

        foreach (var id in favorites)
        {
            await store.SetFavoriteAsync(userId, id, true, cancellationToken).ConfigureAwait(false);
        }

        if (branches && root.GetProperty("session").TryGetProperty("activeLeafId", out var leaf) && leaf.ValueKind == JsonValueKind.String)
        {
            await store.SwitchBranchAsync(userId, session.Id, leaf.GetGuid(), cancellationToken).ConfigureAwait(false);
        }

        return await store.GetSessionAsync(userId, session.Id, cancellationToken).ConfigureAwait(false) ?? session;
    }

    private static Guid? ParentOf(JsonElement message) =>
        message.TryGetProperty("parentId", out var parent) && parent.ValueKind == JsonValueKind.String ? parent.GetGuid() : null;

    // The ids on the exported active path (the ancestors of the active leaf, or of the last message when the session never
    // branched), for a store that keeps one line only.
    private static HashSet<Guid> ActivePath(JsonElement root)
    {
        var parents = new Dictionary<Guid, Guid?>();
        Guid? last = null;
        foreach (var m in root.GetProperty("messages").EnumerateArray())
        {
            var id = m.GetProperty("id").GetGuid();
            var parent = ParentOf(m);
            if (parent is { } p && !parents.ContainsKey(p))
            {
                throw new FormatException($"Message {id} names a parent that is not an earlier message of the file.");
            }

            parents[id] = parent;
            last = id;
        }

        var leaf = root.GetProperty("session").TryGetProperty("activeLeafId", out var given) && given.ValueKind == JsonValueKind.String ? given.GetGuid() : last;
        var path = new HashSet<Guid>();
        for (var node = leaf; node is { } current && parents.TryGetValue(current, out var parent); node = parent)
        {
            path.Add(current);
        }

        return path;
    }

    // The end to import for a message that is not complete, or null for a complete one (or a file without statuses).
    private static ChatReplyFinish? UnfinishedEnd(JsonElement message)
    {
        if (!message.TryGetProperty("status", out var statusName) || statusName.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (!ChatReplyStatusExtensions.TryParseJsonName(statusName.GetString(), out ChatReplyStatus status))
        {
            throw new FormatException($"Message {message.GetProperty("id")} has an unknown status.");
        }

        var reason = ChatReplyReason.None;
        if (message.TryGetProperty("reason", out var reasonName) && reasonName.ValueKind != JsonValueKind.Null
            && !ChatReplyStatusExtensions.TryParseJsonName(reasonName.GetString(), out reason))
        {
            throw new FormatException($"Message {message.GetProperty("id")} has an unknown reason.");
        }

        var detail = message.TryGetProperty("reasonDetail", out var detailValue) && detailValue.ValueKind == JsonValueKind.String ? detailValue.GetString() : null;
        return status switch
        {
            ChatReplyStatus.Complete => null,

            // Its writer is gone: the store would show it ended once the lease passed, and so does the import.
            ChatReplyStatus.Streaming => reason == ChatReplyReason.StopRequested
                ? new ChatReplyFinish { Status = ChatReplyStatus.Stopped, Reason = ChatReplyReason.StopRequested }
                : new ChatReplyFinish { Status = ChatReplyStatus.Interrupted, Reason = ChatReplyReason.LeaseExpired },
            _ when reason == ChatReplyReason.None => throw new FormatException($"Message {message.GetProperty("id")} is {statusName.GetString()} without a reason."),
            _ => new ChatReplyFinish { Status = status, Reason = reason, ReasonDetail = detail },
        };
    }
}
