namespace ChatPersistence.Sdk;

/// <summary>The position of a message among its versions (<see cref="ChatMessagePage.Siblings"/>): show "‹ Index + 1 / Count ›".</summary>
/// <param name="MessageId">The message.</param>
/// <param name="Index">Its 0-based index among its versions, oldest first.</param>
/// <param name="Count">How many versions there are (at least 2: a message with no other version is not listed).</param>
public readonly record struct ChatSiblingPosition(Guid MessageId, int Index, int Count);
