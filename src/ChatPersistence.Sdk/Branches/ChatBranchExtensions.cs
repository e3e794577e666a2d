namespace ChatPersistence.Sdk;

/// <summary>Edit and regenerate as versions, and "‹ i / n ›" navigation, built on <see cref="IChatSessionStore"/>'s branch operations.</summary>
public static class ChatBranchExtensions
{
    /// <summary>
    /// Appends another version of <paramref name="versionOf"/>: a message under the same parent (or another root), with the
    /// same role, which becomes the session's active leaf. Editing a question is a new user version; the old one and
    /// everything beneath it stay, reachable with <see cref="SwitchVersionAsync"/>.
    /// </summary>
    /// <param name="store">The store.</param>
    /// <param name="userId">The owner.</param>
    /// <param name="sessionId">The session of <paramref name="versionOf"/>.</param>
    /// <param name="versionOf">The message the new one is another version of.</param>
    /// <param name="message">The new version; its <see cref="NewChatMessage.ParentId"/> must be <see langword="null"/> (it is set here).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The stored version, now on the active path.</returns>
    /// <exception cref="ArgumentException">The message's role differs from <paramref name="versionOf"/>'s (an assistant message
    /// cannot be edited into a question), or it names a parent; nothing was written.</exception>
    /// <exception cref="ChatNotFoundException"><paramref name="versionOf"/> does not exist, is not the user's or is in another session.</exception>
    /// <exception cref="ChatConflictException">The message already has <see cref="ChatPersistenceOptions.MaxVersions"/> versions.</exception>
    /// <exception cref="NotSupportedException">The store does not keep branches.</exception>
    public static async Task<StoredChatMessage> AppendVersionAsync(this IChatSessionStore store, string userId, Guid sessionId, Guid versionOf, NewChatMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(message);
        if (message.ParentId is not null)
        {
            throw new ArgumentException("A new version takes the parent of the message it is a version of; leave ParentId null.", nameof(message));
        }

        var siblings = await store.GetSiblingsAsync(userId, versionOf, cancellationToken).ConfigureAwait(false);
        if (siblings.SessionId != sessionId)
        {
            throw ChatNotFoundException.ForMessage(versionOf);
        }

        var role = siblings.Versions[siblings.Index].Role;
        if (message.Role != role)
        {
            throw new ArgumentException($"A version of a {role.ToString().ToLowerInvariant()} message must have that role, not {message.Role.ToString().ToLowerInvariant()}: an answer cannot be edited into a question.", nameof(message));
        }

        var stored = await store.AppendMessagesAsync(userId, sessionId, [message with { ParentId = siblings.ParentId ?? NewChatMessage.RootParent }], cancellationToken).ConfigureAwait(false);
        return stored[0];
    }

    /// <summary>Switches the active path to the version at <paramref name="index"/> among the versions of <paramref name="messageId"/> (‹ i / n ›).</summary>
    /// <param name="store">The store.</param>
    /// <param name="userId">The owner.</param>
    /// <param name="sessionId">The session.</param>
    /// <param name="messageId">Any version.</param>
    /// <param name="index">The 0-based index of the version to show (<see cref="ChatSiblingPosition.Index"/>).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>The new active path.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="index"/> is not an index of the versions.</exception>
    /// <exception cref="ChatNotFoundException">The message does not exist, is not the user's or is in another session.</exception>
    /// <exception cref="NotSupportedException">The store does not keep branches.</exception>
    public static async Task<ChatActivePath> SwitchVersionAsync(this IChatSessionStore store, string userId, Guid sessionId, Guid messageId, int index, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var siblings = await store.GetSiblingsAsync(userId, messageId, cancellationToken).ConfigureAwait(false);
        if (siblings.SessionId != sessionId)
        {
            throw ChatNotFoundException.ForMessage(messageId);
        }

        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, siblings.Versions.Count);
        return await store.SwitchBranchAsync(userId, sessionId, siblings.Versions[index].Id, cancellationToken).ConfigureAwait(false);
    }
}
