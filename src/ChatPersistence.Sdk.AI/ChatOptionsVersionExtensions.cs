using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.AI;

/// <summary>
/// Regenerate an answer, edit a question and resend it, or continue from a chosen message, through
/// <see cref="PersistentChatClient"/>: options that name a stored message, for stores that keep branches
/// (<see cref="ChatStoreCapabilities.Branches"/>). The new version is stored beside the old one, which stays (‹ 2 / 2 › in
/// <see cref="ChatMessagePage.Siblings"/>), and becomes the session's active path.
/// </summary>
/// <remarks>
/// The ids are <see cref="StoredChatMessage.Id"/> values (a page read from the store, or <see cref="ChatMessage.MessageId"/> of a
/// message read back with <c>ToChatMessages()</c>). Each sets one key of <see cref="ChatOptions.AdditionalProperties"/>, which
/// <see cref="PersistentChatClient"/> removes before the inner client is called; a request may carry at most one of them. The
/// message must be in the request's conversation (same user, same workflow), else <see cref="ChatNotFoundException"/> is thrown
/// before the model is called and nothing is stored; on a store without branches, <see cref="NotSupportedException"/>.
/// </remarks>
public static class ChatOptionsVersionExtensions
{
    /// <summary>
    /// Regenerates the assistant message <paramref name="answerId"/>: the request carries no new message (pass an empty list, or
    /// only the system prompt), the model is sent the conversation up to the message before that answer (its question), on that
    /// path, and the response is stored as another version of the answer (under the same question; a streamed response is a reply
    /// stored while it streams, as any other). Sets <see cref="PersistentChatClient.RegenerateIdPropertyName"/>.
    /// </summary>
    /// <param name="options">The options to change.</param>
    /// <param name="answerId">The assistant message to produce again.</param>
    /// <returns><paramref name="options"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="answerId"/> is <see cref="Guid.Empty"/>.</exception>
    /// <remarks>When the request is sent, a user message (regenerating a question: edit it instead), a first message, or a request
    /// that carries new messages is refused with <see cref="ArgumentException"/>.</remarks>
    public static ChatOptions WithChatRegenerate(this ChatOptions options, Guid answerId) =>
        Set(options, PersistentChatClient.RegenerateIdPropertyName, answerId, nameof(answerId));

    /// <summary>
    /// Edits the user message <paramref name="questionId"/> and resends it: the request's first message (after the system prompt)
    /// is the new version of the question, stored under the same parent as the old one (another root for the first message);
    /// the model is sent the conversation up to that parent, on that path, then the request; the response is stored under the new
    /// version. The old question and everything under it stay. Sets <see cref="PersistentChatClient.EditIdPropertyName"/>.
    /// </summary>
    /// <param name="options">The options to change.</param>
    /// <param name="questionId">The user message the request's first message is a new version of.</param>
    /// <returns><paramref name="options"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException"><paramref name="questionId"/> is <see cref="Guid.Empty"/>.</exception>
    /// <remarks>When the request is sent, an assistant message (an answer cannot be edited into a question) or a request that does
    /// not start with a user message is refused with <see cref="ArgumentException"/>. Resending the same edit after a failed model
    /// call stores another version; to retry, regenerate the answer of the version stored.</remarks>
    public static ChatOptions WithChatEdit(this ChatOptions options, Guid questionId) =>
        Set(options, PersistentChatClient.EditIdPropertyName, questionId, nameof(questionId));

    /// <summary>
    /// Continues the conversation from <paramref name="parentId"/> instead of the session's active leaf: the model is sent the
    /// path that ends at that message, the request's first new message is stored under it (and the response under the last of
    /// them, or under <paramref name="parentId"/> when there is none). A host names the last message its user saw, so that a
    /// message sent while another device switched versions is stored where the user meant it. <see cref="NewChatMessage.RootParent"/>
    /// starts another version of the first message (with no history). Sets <see cref="PersistentChatClient.ParentIdPropertyName"/>.
    /// </summary>
    /// <param name="options">The options to change.</param>
    /// <param name="parentId">The message to continue from, or <see cref="NewChatMessage.RootParent"/>.</param>
    /// <returns><paramref name="options"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    public static ChatOptions WithChatParent(this ChatOptions options, Guid parentId)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.AdditionalProperties ??= [];
        options.AdditionalProperties[PersistentChatClient.ParentIdPropertyName] = parentId;
        return options;
    }

    private static ChatOptions Set(ChatOptions options, string name, Guid id, string paramName)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (id == Guid.Empty)
        {
            throw new ArgumentException("A message id is required, not Guid.Empty.", paramName);
        }

        options.AdditionalProperties ??= [];
        options.AdditionalProperties[name] = id;
        return options;
    }
}
