using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.AI.Internal;

/// <summary>Encodes a <see cref="ChatMessage"/> into a stored message (columns + <c>meai</c> metadata) and back.</summary>
internal static class MessageCodec
{
    private const string TypeProperty = "$type";
    private const string TextLengthProperty = "textLength";

    public static NewChatMessage Encode(ChatMessage message, Guid id, JsonSerializerOptions? serializerOptions, IEnumerable<KeyValuePair<string, JsonNode?>>? extraMetadata)
    {
        var options = serializerOptions ?? AIJsonUtilities.DefaultOptions;
        var role = MapRole(message.Role, out var isStandardRole);

        var node = JsonSerializer.SerializeToNode(message, options.GetTypeInfo(typeof(ChatMessage)))?.AsObject()
            ?? throw new InvalidOperationException("The chat message serialised to null.");

        // What the columns hold is not repeated in the metadata.
        node.Remove("createdAt");
        if (isStandardRole)
        {
            node.Remove("role");
        }

        if (Guid.TryParse(message.MessageId, out var messageGuid) && messageGuid == id)
        {
            node.Remove("messageId");
        }

        var content = new StringBuilder();
        var textContents = 0;
        if (node["contents"] is JsonArray contents)
        {
            foreach (var item in contents)
            {
                if (item is JsonObject obj && IsText(obj) && obj["text"] is JsonValue textValue && textValue.TryGetValue(out string? text))
                {
                    content.Append(text);
                    obj.Remove("text");
                    obj[TextLengthProperty] = text.Length;
                    textContents++;
                }
            }
        }

        var metadata = new JsonObject();
        if (!IsPlainText(node, textContents) || content.Length == 0)
        {
            metadata[ChatMessageMetadataKeys.Message] = new JsonObject
            {
                ["v"] = ChatMessageMetadataKeys.MessageFormatVersion,
                ["message"] = node,
            };
        }

        var usage = SumUsage(message);
        if (usage is not null)
        {
            metadata[ChatMessageMetadataKeys.Usage] = JsonSerializer.SerializeToNode(usage, AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(UsageDetails)));
        }

        if (extraMetadata is not null)
        {
            foreach (var pair in extraMetadata)
            {
                metadata[pair.Key] = pair.Value;
            }
        }

        return new NewChatMessage(role, content.ToString(), metadata.Count == 0 ? null : ToCompactElement(metadata))
        {
            Id = id,
            CreatedAt = message.CreatedAt,
        };
    }

    public static ChatMessage Decode(Guid id, ChatMessageRole role, string content, JsonElement? metadata, DateTimeOffset? createdAt, JsonSerializerOptions? serializerOptions)
    {
        if (metadata is { ValueKind: JsonValueKind.Object } meta
            && meta.TryGetProperty(ChatMessageMetadataKeys.Message, out var envelope)
            && envelope.ValueKind == JsonValueKind.Object
            && envelope.TryGetProperty("v", out var version)
            && version.ValueKind == JsonValueKind.Number && version.TryGetInt32(out var v) && v == ChatMessageMetadataKeys.MessageFormatVersion
            && envelope.TryGetProperty("message", out var stored)
            && stored.ValueKind == JsonValueKind.Object)
        {
            var node = JsonNode.Parse(stored.GetRawText())!.AsObject();
            var position = 0;
            if (node["contents"] is JsonArray contents)
            {
                foreach (var item in contents)
                {
                    if (item is JsonObject obj && IsText(obj) && obj[TextLengthProperty] is JsonValue lengthValue && lengthValue.TryGetValue(out int length))
                    {
                        obj.Remove(TextLengthProperty);
                        var start = Math.Min(position, content.Length);
                        var count = Math.Clamp(length, 0, content.Length - start);
                        obj["text"] = content.Substring(start, count);
                        position = start + count;
                    }
                }
            }

            if (node["role"] is null)
            {
                node["role"] = role.ToStorageName();
            }

            if (node["messageId"] is null)
            {
                node["messageId"] = id.ToString("D");
            }

            node.Remove("createdAt");

            // Stores such as PostgreSQL jsonb reorder object keys; System.Text.Json wants "$type" first.
            var ordered = PutTypeFirst(node);
            var options = serializerOptions ?? AIJsonUtilities.DefaultOptions;
            var message = (ChatMessage?)ordered.Deserialize(options.GetTypeInfo(typeof(ChatMessage)))
                ?? throw new JsonException("The stored chat message deserialised to null.");
            message.CreatedAt = createdAt;
            return message;
        }

        return new ChatMessage(new ChatRole(role.ToStorageName()), content)
        {
            MessageId = id.ToString("D"),
            CreatedAt = createdAt,
        };
    }

    public static UsageDetails? ReadUsage(JsonElement metadata)
    {
        if (metadata.ValueKind == JsonValueKind.Object
            && metadata.TryGetProperty(ChatMessageMetadataKeys.Usage, out var usage)
            && usage.ValueKind == JsonValueKind.Object)
        {
            return (UsageDetails?)usage.Deserialize(AIJsonUtilities.DefaultOptions.GetTypeInfo(typeof(UsageDetails)));
        }

        return null;
    }

    public static ChatMessageRole MapRole(ChatRole role, out bool isStandard)
    {
        isStandard = true;
        if (role == ChatRole.User)
        {
            return ChatMessageRole.User;
        }

        if (role == ChatRole.Assistant)
        {
            return ChatMessageRole.Assistant;
        }

        if (role == ChatRole.System)
        {
            return ChatMessageRole.System;
        }

        if (role == ChatRole.Tool)
        {
            return ChatMessageRole.Tool;
        }

        isStandard = false;
        return string.Equals(role.Value, "developer", StringComparison.OrdinalIgnoreCase) ? ChatMessageRole.System : ChatMessageRole.User;
    }

    /// <summary>Compact JSON that keeps non-ASCII text readable (AIJsonUtilities.DefaultOptions indents, which would waste storage).</summary>
    private static readonly JsonSerializerOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = false };

    private static JsonElement ToCompactElement(JsonObject metadata)
    {
        using var document = JsonDocument.Parse(metadata.ToJsonString(WriterOptions));
        return document.RootElement.Clone();
    }

    private static bool IsText(JsonObject obj) =>
        obj[TypeProperty] is JsonValue type && type.TryGetValue(out string? discriminator) && discriminator == "text";

    /// <summary>Whether the stripped message is just one text content, which the content column describes completely.</summary>
    private static bool IsPlainText(JsonObject node, int textContents)
    {
        if (textContents != 1 || node.Count != 1 || node["contents"] is not JsonArray { Count: 1 } contents)
        {
            return false;
        }

        return contents[0] is JsonObject { Count: 2 } only && IsText(only) && only[TextLengthProperty] is not null;
    }

    private static UsageDetails? SumUsage(ChatMessage message)
    {
        UsageDetails? total = null;
        foreach (var item in message.Contents)
        {
            if (item is UsageContent usage)
            {
                total ??= new UsageDetails();
                total.Add(usage.Details);
            }
        }

        return total;
    }

    private static JsonNode? PutTypeFirst(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var copy = new JsonObject();
                if (obj.TryGetPropertyValue(TypeProperty, out var type))
                {
                    copy[TypeProperty] = type?.DeepClone();
                }

                foreach (var pair in obj)
                {
                    if (pair.Key != TypeProperty)
                    {
                        copy[pair.Key] = PutTypeFirst(pair.Value);
                    }
                }

                return copy;
            case JsonArray array:
                var list = new JsonArray();
                foreach (var item in array)
                {
                    list.Add(PutTypeFirst(item));
                }

                return list;
            default:
                return node?.DeepClone();
        }
    }
}
