namespace ChatPersistence.Sdk;

/// <summary>One version among the children of a message (or among the roots of a session): see <see cref="ChatSiblings"/>.</summary>
/// <param name="Id">The version's message id.</param>
/// <param name="Sequence">Its sequence number in the session.</param>
/// <param name="Role">Its role.</param>
/// <param name="CreatedAt">When it was stored.</param>
/// <param name="Status">Its status (<see cref="ChatReplyStatus.Streaming"/> for a regenerated answer still being written).</param>
public sealed record ChatSibling(Guid Id, long Sequence, ChatMessageRole Role, DateTimeOffset CreatedAt, ChatReplyStatus Status);
