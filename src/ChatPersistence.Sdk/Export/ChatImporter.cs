using System.Text.Json;

namespace ChatPersistence.Sdk.Export;

/// <summary>
/// Imports a JSON export (<see cref="ChatExporter"/>, format <c>chatpersistence.export</c> v1) into any store: the session is
/// got-or-created for (user, workflow) and the messages appended in batches with their ids, roles, metadata and creation
/// times, then favourites restored. Appends are idempotent by id, so importing the same file twice adds nothing.
/// </summary>
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
    /// <exception cref="FormatException">The stream is not a <c>chatpersistence.export</c> v1 document.</exception>
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
            || !root.TryGetProperty("version", out var version) || version.GetInt32() != ChatExporter.JsonFormatVersion)
        {
            throw new FormatException($"The stream is not a {ChatExporter.JsonFormatName} version {ChatExporter.JsonFormatVersion} document.");
        }

        var exported = root.GetProperty("session");
        var session = await store.GetOrCreateSessionAsync(
            userId,
            workflowId ?? exported.GetProperty("workflowId").GetString()!,
            exported.TryGetProperty("title", out var title) && title.ValueKind == JsonValueKind.String ? title.GetString() : null,
            cancellationToken).ConfigureAwait(false);

        var batch = new List<NewChatMessage>(ChatPersistenceLimits.MaxBatchSize);
        var favorites = new List<Guid>();
        foreach (var m in root.GetProperty("messages").EnumerateArray())
        {
            if (!ChatMessageRoleExtensions.TryParseStorageName(m.GetProperty("role").GetString(), out var role))
            {
                throw new FormatException($"Message {m.GetProperty("id")} has an unknown role.");
            }

            var message = new NewChatMessage(role, m.GetProperty("content").GetString()!, m.GetProperty("metadata").Clone())
            {
                Id = m.GetProperty("id").GetGuid(),
                CreatedAt = m.GetProperty("createdAt").GetDateTimeOffset(),
            };
            batch.Add(message);
            if (m.TryGetProperty("isFavorite", out var favorite) && favorite.GetBoolean())
            {
                favorites.Add(message.Id);
            }

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

        return await store.GetSessionAsync(userId, session.Id, cancellationToken).ConfigureAwait(false) ?? session;
    }
}
