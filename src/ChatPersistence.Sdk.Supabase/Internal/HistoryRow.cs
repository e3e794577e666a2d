using System.Text.Json;
using System.Text.Json.Serialization;

namespace ChatPersistence.Sdk.Supabase.Internal;

/// <summary>
/// A <c>chat_read_messages</c> row: one message of the page plus <c>beyond</c> (the same on every row). An empty page is one
/// row whose message columns are null, so that <c>beyond</c> still arrives.
/// </summary>
internal sealed class HistoryRow
{
    public Guid? Id { get; set; }

    public Guid? SessionId { get; set; }

    public long? Seq { get; set; }

    public string? Role { get; set; }

    public string? Content { get; set; }

    [JsonConverter(typeof(MetadataConverter))]
    public JsonElement Metadata { get; set; }

    public DateTimeOffset? CreatedAt { get; set; }

    public bool? IsFavorite { get; set; }

    public bool Beyond { get; set; }

    public StoredChatMessage ToMessage()
    {
        _ = ChatMessageRoleExtensions.TryParseStorageName(Role, out var role);
        return new StoredChatMessage
        {
            Id = Id.GetValueOrDefault(),
            SessionId = SessionId.GetValueOrDefault(),
            Sequence = Seq.GetValueOrDefault(),
            Role = role,
            Content = Content ?? "",
            Metadata = Metadata,
            CreatedAt = CreatedAt.GetValueOrDefault().ToUniversalTime(),
            IsFavorite = IsFavorite.GetValueOrDefault(),
        };
    }
}
