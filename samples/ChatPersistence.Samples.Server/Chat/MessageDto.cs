using System.Text.Json;
using ChatPersistence.Sdk;

namespace ChatPersistence.Samples.Server.Chat;

/// <summary>A stored message as the protocol and the HTTP API send it.</summary>
public sealed record MessageDto(Guid Id, long Sequence, string Role, string Content, JsonElement Metadata, DateTimeOffset CreatedAt, bool IsFavorite)
{
    public static MessageDto From(StoredChatMessage m) =>
        new(m.Id, m.Sequence, m.Role.ToString().ToLowerInvariant(), m.Content, m.Metadata, m.CreatedAt, m.IsFavorite);
}
