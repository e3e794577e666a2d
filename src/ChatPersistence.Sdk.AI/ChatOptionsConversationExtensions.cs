using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.AI;

/// <summary>Names the persistent conversation of a request for <see cref="PersistentChatClient"/>.</summary>
public static class ChatOptionsConversationExtensions
{
    /// <summary>
    /// Sets <see cref="PersistentChatClient.UserIdPropertyName"/> and <see cref="PersistentChatClient.WorkflowIdPropertyName"/> in
    /// <see cref="ChatOptions.AdditionalProperties"/>.
    /// </summary>
    /// <param name="options">The options to change.</param>
    /// <param name="userId">The user id.</param>
    /// <param name="workflowId">The workflow id.</param>
    /// <returns><paramref name="options"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static ChatOptions WithChatConversation(this ChatOptions options, string userId, string workflowId)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentNullException.ThrowIfNull(workflowId);
        options.AdditionalProperties ??= [];
        options.AdditionalProperties[PersistentChatClient.UserIdPropertyName] = userId;
        options.AdditionalProperties[PersistentChatClient.WorkflowIdPropertyName] = workflowId;
        return options;
    }

    /// <summary>Sets the conversation of <paramref name="options"/> (see <see cref="WithChatConversation(ChatOptions, string, string)"/>).</summary>
    /// <param name="options">The options to change.</param>
    /// <param name="conversation">The conversation.</param>
    /// <returns><paramref name="options"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> or a key part is <see langword="null"/>.</exception>
    public static ChatOptions WithChatConversation(this ChatOptions options, ChatConversationKey conversation) =>
        options.WithChatConversation(conversation.UserId, conversation.WorkflowId);
}
