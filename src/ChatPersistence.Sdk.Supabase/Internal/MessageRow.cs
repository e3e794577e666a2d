using System.Text.Json;
using System.Text.Json.Serialization;

namespace ChatPersistence.Sdk.Supabase.Internal;

/// <summary>A message row (the columns every message-returning SQL function returns) as PostgREST renders it.</summary>
internal class MessageRow
{
    public Guid Id { get; set; }

    public Guid SessionId { get; set; }

    public long Seq { get; set; }

    public string Role { get; set; } = "";

    public string Content { get; set; } = "";

    [JsonConverter(typeof(MetadataConverter))]
    public JsonElement Metadata { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public bool IsFavorite { get; set; }

    public StoredChatMessage ToMessage()
    {
        _ = ChatMessageRoleExtensions.TryParseStorageName(Role, out var role);
        return new StoredChatMessage
        {
            Id = Id,
            SessionId = SessionId,
            Sequence = Seq,
            Role = role,
            Content = Content,
            Metadata = Metadata,
            CreatedAt = CreatedAt.ToUniversalTime(),
            IsFavorite = IsFavorite,
        };
    }
}
