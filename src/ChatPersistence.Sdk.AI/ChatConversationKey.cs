namespace ChatPersistence.Sdk.AI;

/// <summary>
/// Identifies a persistent conversation: the session of <see cref="UserId"/> for <see cref="WorkflowId"/>
/// (see <see cref="IChatSessionStore.GetOrCreateSessionAsync"/>).
/// </summary>
/// <param name="UserId">The owner of the conversation.</param>
/// <param name="WorkflowId">The host's workflow id.</param>
public readonly record struct ChatConversationKey(string UserId, string WorkflowId);
