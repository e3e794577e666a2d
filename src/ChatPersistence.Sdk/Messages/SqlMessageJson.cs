using System.Globalization;
using System.Text.Json;

namespace ChatPersistence.Sdk.Internal;

/// <summary>
/// The JSON the SQL functions take for new messages (<c>chat_append_messages</c>' <c>p_messages</c> elements:
/// <c>{id, role, content, metadata, created_at?, parent_id?}</c>) and their timestamp format — written once for the PostgreSQL store
/// (Npgsql) and the Supabase store (PostgREST) alike.
/// </summary>
internal static class SqlMessageJson
{
    /// <summary>A UTC timestamp with microseconds, as PostgreSQL's <c>timestamptz</c> input reads it exactly.</summary>
    public static string Timestamp(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Writes one message object.</summary>
    public static void WriteMessage(Utf8JsonWriter writer, NewChatMessage message)
    {
        writer.WriteStartObject();
        writer.WriteString("id", message.Id);
        writer.WriteString("role", message.Role.ToStorageName());
        writer.WriteString("content", message.Content);
        writer.WritePropertyName("metadata");
        if (message.Metadata is { } metadata)
        {
            metadata.WriteTo(writer);
        }
        else
        {
            writer.WriteStartObject();
            writer.WriteEndObject();
        }

        if (message.CreatedAt is { } createdAt)
        {
            writer.WriteString("created_at", Timestamp(createdAt));
        }

        // Only when named (schema version 4): a batch that names no parent keeps the linear append's path.
        if (message.ParentId is { } parentId)
        {
            writer.WriteString("parent_id", parentId);
        }

        writer.WriteEndObject();
    }
}
