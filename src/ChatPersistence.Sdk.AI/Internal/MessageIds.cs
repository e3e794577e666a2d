using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.AI.Internal;

/// <summary>Chooses the stored id of a <see cref="ChatMessage"/> converted on its own (<see cref="ChatMessageConversionExtensions.ToNewChatMessage"/>).</summary>
internal static class MessageIds
{
    /// <summary>The message's GUID <see cref="ChatMessage.MessageId"/>, or a new version 7 GUID.</summary>
    public static Guid FromMessage(ChatMessage message) =>
        Guid.TryParse(message.MessageId, out var id) && id != Guid.Empty ? id : Guid.CreateVersion7();
}
