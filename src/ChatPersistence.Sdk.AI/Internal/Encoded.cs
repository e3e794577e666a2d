using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.AI.Internal;

/// <summary>A chat message of a turn and the stored message it becomes.</summary>
internal sealed record Encoded(ChatMessage Original, NewChatMessage Stored);
