using System.Buffers;
using System.Text.Json;

namespace ChatPersistence.Sdk.Supabase.Internal;

/// <summary>
/// Reads PostgREST's answer of a message-returning function (<c>[{"id", "session_id", "seq", "role", "content", "metadata",
/// "created_at", "is_favorite"[, "beyond"]}, …]</c>) straight into <see cref="StoredChatMessage"/>s: no row objects in between,
/// role names matched as bytes, and the metadata of all rows parsed as one document (one copy of their JSON, one set of
/// arrays) instead of one <see cref="JsonDocument"/> per message; the common <c>{}</c> is one shared element.
/// </summary>
/// <remarks>
/// A row with a null id is the empty page of <c>chat_read_messages</c>, which still carries <c>beyond</c>; anywhere else it
/// is an error. Unknown columns are skipped. Wrong types throw <see cref="JsonException"/>, as the serializer did.
/// </remarks>
internal static class MessageRowReader
{
    private static readonly JsonElement EmptyObject = CreateEmptyObject();

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };

    /// <summary>Reads the rows; <paramref name="beyond"/> is the first row's <c>beyond</c> column (false without rows).</summary>
    public static StoredChatMessage[] Read(ReadOnlySpan<byte> json, bool allowNullRow, out bool beyond) =>
        Read(json, allowNullRow, out beyond, out _);

    /// <summary>
    /// Reads the rows, and the positions among their versions of those that have other versions (a page's
    /// <c>sibling_index</c>/<c>sibling_count</c>; empty when the answer has no such columns).
    /// </summary>
    public static StoredChatMessage[] Read(ReadOnlySpan<byte> json, bool allowNullRow, out bool beyond, out List<ChatSiblingPosition> siblings)
    {
        siblings = [];
        var reader = new Utf8JsonReader(json, ReaderOptions);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException($"Expected an array of rows, found {reader.TokenType}.");
        }

        beyond = false;
        var rows = ArrayPool<MessageRowFields>.Shared.Rent(16);
        var count = 0;
        var seen = 0;
        var metadataBytes = 0;
        var metadataValues = 0;
        try
        {
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                var row = ReadRow(ref reader);
                if (seen++ == 0)
                {
                    beyond = row.Beyond;
                }

                if (row.IsNull)
                {
                    if (!allowNullRow)
                    {
                        throw new JsonException("A message row has a null id.");
                    }

                    continue;
                }

                if (count == rows.Length)
                {
                    var larger = ArrayPool<MessageRowFields>.Shared.Rent(count * 2);
                    rows.AsSpan(0, count).CopyTo(larger);
                    ArrayPool<MessageRowFields>.Shared.Return(rows, clearArray: true);
                    rows = larger;
                }

                if (row.MetadataLength > 0)
                {
                    metadataBytes += row.MetadataLength;
                    metadataValues++;
                }

                rows[count++] = row;
            }

            var metadata = metadataValues == 0 ? default : ParseMetadata(json, rows.AsSpan(0, count), metadataBytes, metadataValues);
            var elements = metadata.ValueKind == JsonValueKind.Array ? metadata.EnumerateArray() : default;
            var messages = count == 0 ? [] : new StoredChatMessage[count];
            for (var i = 0; i < count; i++)
            {
                ref var row = ref rows[i];
                JsonElement value;
                if (row.MetadataLength > 0)
                {
                    _ = elements.MoveNext();
                    value = elements.Current;
                }
                else
                {
                    value = row.MetadataStart < 0 ? default : EmptyObject;
                }

                messages[i] = new StoredChatMessage
                {
                    Id = row.Id,
                    SessionId = row.SessionId,
                    Sequence = row.Seq,
                    Role = row.Role,
                    Content = row.Content ?? "",
                    Metadata = value,
                    CreatedAt = row.CreatedAt.ToUniversalTime(),
                    IsFavorite = row.IsFavorite,
                    Status = (ChatReplyStatus)row.Status,
                    Reason = (ChatReplyReason)row.Reason,
                    ReasonDetail = row.ReasonDetail,
                    LeaseExpiresAt = row.LeaseExpiresAt?.ToUniversalTime(),
                    ParentId = row.ParentId,
                };
                if (row.SiblingCount > 1)
                {
                    siblings.Add(new ChatSiblingPosition(row.Id, row.SiblingIndex, row.SiblingCount));
                }
            }

            return messages;
        }
        finally
        {
            ArrayPool<MessageRowFields>.Shared.Return(rows, clearArray: true);
        }
    }

    private static MessageRowFields ReadRow(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"Expected a row object, found {reader.TokenType}.");
        }

        var row = new MessageRowFields { MetadataStart = -1 };
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("id"u8))
            {
                _ = reader.Read();
                row.IsNull = reader.TokenType == JsonTokenType.Null;
                row.Id = row.IsNull ? default : GetGuid(ref reader);
            }
            else if (reader.ValueTextEquals("session_id"u8))
            {
                _ = reader.Read();
                row.SessionId = reader.TokenType == JsonTokenType.Null ? default : GetGuid(ref reader);
            }
            else if (reader.ValueTextEquals("seq"u8))
            {
                _ = reader.Read();
                row.Seq = reader.TokenType == JsonTokenType.Null ? default
                    : reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var seq) ? seq
                    : throw new JsonException("seq is not a 64-bit integer.");
            }
            else if (reader.ValueTextEquals("role"u8))
            {
                _ = reader.Read();
                row.Role = reader.TokenType == JsonTokenType.Null ? default : GetRole(ref reader);
            }
            else if (reader.ValueTextEquals("content"u8))
            {
                _ = reader.Read();
                row.Content = reader.TokenType switch
                {
                    JsonTokenType.Null => null,
                    JsonTokenType.String => reader.GetString(),
                    _ => throw new JsonException("content is not a string."),
                };
            }
            else if (reader.ValueTextEquals("metadata"u8))
            {
                _ = reader.Read();
                row.MetadataStart = checked((int)reader.TokenStartIndex);
                var empty = false;
                if (reader.TokenType == JsonTokenType.StartObject)
                {
                    var copy = reader;
                    empty = copy.Read() && copy.TokenType == JsonTokenType.EndObject;
                }

                reader.Skip();
                row.MetadataLength = empty ? 0 : checked((int)reader.BytesConsumed) - row.MetadataStart;
            }
            else if (reader.ValueTextEquals("created_at"u8))
            {
                _ = reader.Read();
                row.CreatedAt = reader.TokenType == JsonTokenType.Null ? default
                    : reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var at) ? at
                    : throw new JsonException("created_at is not a timestamp.");
            }
            else if (reader.ValueTextEquals("is_favorite"u8))
            {
                _ = reader.Read();
                row.IsFavorite = GetBoolean(ref reader, "is_favorite");
            }
            else if (reader.ValueTextEquals("beyond"u8))
            {
                _ = reader.Read();
                row.Beyond = GetBoolean(ref reader, "beyond");
            }
            else if (reader.ValueTextEquals("status"u8))
            {
                _ = reader.Read();
                row.Status = GetSmallInt(ref reader, "status");
            }
            else if (reader.ValueTextEquals("status_reason"u8))
            {
                _ = reader.Read();
                row.Reason = GetSmallInt(ref reader, "status_reason");
            }
            else if (reader.ValueTextEquals("status_detail"u8))
            {
                _ = reader.Read();
                row.ReasonDetail = reader.TokenType switch
                {
                    JsonTokenType.Null => null,
                    JsonTokenType.String => reader.GetString(),
                    _ => throw new JsonException("status_detail is not a string."),
                };
            }
            else if (reader.ValueTextEquals("lease_expires_at"u8))
            {
                _ = reader.Read();
                row.LeaseExpiresAt = reader.TokenType == JsonTokenType.Null ? null
                    : reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var lease) ? lease
                    : throw new JsonException("lease_expires_at is not a timestamp.");
            }
            else if (reader.ValueTextEquals("parent_id"u8))
            {
                _ = reader.Read();
                row.ParentId = reader.TokenType == JsonTokenType.Null ? null : GetGuid(ref reader);
            }
            else if (reader.ValueTextEquals("sibling_index"u8))
            {
                _ = reader.Read();
                row.SiblingIndex = GetInt(ref reader, "sibling_index");
            }
            else if (reader.ValueTextEquals("sibling_count"u8))
            {
                _ = reader.Read();
                row.SiblingCount = GetInt(ref reader, "sibling_count");
            }
            else
            {
                _ = reader.Read();
                reader.Skip();
            }
        }

        if (reader.TokenType != JsonTokenType.EndObject)
        {
            throw new JsonException("A row object is not closed.");
        }

        return row;
    }

    /// <summary>Copies the metadata values of the rows into one JSON array (in a pooled buffer) and parses it once.</summary>
    private static JsonElement ParseMetadata(ReadOnlySpan<byte> json, ReadOnlySpan<MessageRowFields> rows, int bytes, int values)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(bytes + values + 1);
        try
        {
            var length = 0;
            buffer[length++] = (byte)'[';
            foreach (ref readonly var row in rows)
            {
                if (row.MetadataLength > 0)
                {
                    if (length > 1)
                    {
                        buffer[length++] = (byte)',';
                    }

                    json.Slice(row.MetadataStart, row.MetadataLength).CopyTo(buffer.AsSpan(length));
                    length += row.MetadataLength;
                }
            }

            buffer[length++] = (byte)']';

            // ParseValue copies the bytes into a document of its own (exactly sized, nothing rented, nothing to dispose).
            var reader = new Utf8JsonReader(buffer.AsSpan(0, length), ReaderOptions);
            _ = reader.Read();
            return JsonElement.ParseValue(ref reader);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static Guid GetGuid(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.String && reader.TryGetGuid(out var id) ? id : throw new JsonException("Expected a UUID.");

    private static bool GetBoolean(ref Utf8JsonReader reader, string column) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False or JsonTokenType.Null => false,
        _ => throw new JsonException($"{column} is not a boolean."),
    };

    /// <summary>A smallint column; null (an ordinary message's reply columns) is 0.</summary>
    private static int GetInt(ref Utf8JsonReader reader, string column) =>
        reader.TokenType == JsonTokenType.Null ? 0
        : reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var value) ? value
        : throw new JsonException($"{column} is not a 32-bit integer.");

    private static short GetSmallInt(ref Utf8JsonReader reader, string column) =>
        reader.TokenType == JsonTokenType.Null ? (short)0
        : reader.TokenType == JsonTokenType.Number && reader.TryGetInt16(out var value) ? value
        : throw new JsonException($"{column} is not a 16-bit integer.");

    /// <summary>The role from its stored name, compared as bytes; an unknown name gives the default role, as before.</summary>
    private static ChatMessageRole GetRole(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException("role is not a string.");
        }

        return reader.ValueTextEquals("user"u8) ? ChatMessageRole.User
            : reader.ValueTextEquals("assistant"u8) ? ChatMessageRole.Assistant
            : reader.ValueTextEquals("system"u8) ? ChatMessageRole.System
            : reader.ValueTextEquals("tool"u8) ? ChatMessageRole.Tool
            : default;
    }

    private static JsonElement CreateEmptyObject()
    {
        using var document = JsonDocument.Parse("{}");
        return document.RootElement.Clone();
    }
}
