using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.AI.Internal;

/// <summary>
/// Encodes a chat message so that it fits the store: binary data above the inline limit, and whatever else keeps the metadata
/// above the store's limit, is replaced by a placeholder (<see cref="ChatMessageMetadataKeys.OmittedProperty"/>); the text of a
/// response longer than the content limit is cut. The caller's message is never changed (a shallow copy is shaped).
/// </summary>
internal static class StoredForm
{
    public static NewChatMessage Encode(
        ChatMessage message,
        Guid id,
        JsonSerializerOptions? serializerOptions,
        IEnumerable<KeyValuePair<string, JsonNode?>>? extraMetadata,
        StorageLimits limits,
        bool cutLongText)
    {
        var extras = extraMetadata?.ToList();
        var shaped = InlineData(message, limits.MaxInlineDataBytes);
        var encoded = MessageCodec.Encode(shaped, id, serializerOptions, extras);
        while (MetadataBytes(encoded) > limits.MaxMetadataBytes && ReplaceLargest(ref shaped, serializerOptions, limits.MaxMetadataBytes))
        {
            encoded = MessageCodec.Encode(shaped, id, serializerOptions, extras);
        }

        if (cutLongText && Encoding.UTF8.GetByteCount(encoded.Content) > limits.MaxContentBytes)
        {
            shaped = CutText(shaped, limits.MaxContentBytes);
            encoded = MessageCodec.Encode(shaped, id, serializerOptions, extras);
        }

        // A model's answer is stored whatever it holds (cutLongText marks answers): unpaired surrogates become U+FFFD.
        return cutLongText ? WellFormedText.Repair(encoded) : encoded;
    }

    private static int MetadataBytes(NewChatMessage message) =>
        message.Metadata is { } metadata ? Encoding.UTF8.GetByteCount(metadata.GetRawText()) : 0;

    /// <summary>Keeps data contents inline while their total stays within the limit; each one that does not fit becomes a placeholder.</summary>
    private static ChatMessage InlineData(ChatMessage message, int maxInlineDataBytes)
    {
        List<AIContent>? contents = null;
        long inline = 0;
        for (var i = 0; i < message.Contents.Count; i++)
        {
            if (message.Contents[i] is DataContent data)
            {
                var bytes = data.Data.Length;
                if (inline + bytes <= maxInlineDataBytes)
                {
                    inline += bytes;
                    continue;
                }

                contents ??= [.. message.Contents];
                contents[i] = Placeholder(data, bytes, string.Create(CultureInfo.InvariantCulture, $"over the inline limit of {maxInlineDataBytes} bytes"));
            }
        }

        return contents is null ? message : WithContents(message, contents);
    }

    /// <summary>Replaces the largest content that is not text nor a placeholder; false when none is left.</summary>
    private static bool ReplaceLargest(ref ChatMessage message, JsonSerializerOptions? serializerOptions, int maxMetadataBytes)
    {
        var options = serializerOptions ?? AIJsonUtilities.DefaultOptions;
        var typeInfo = options.GetTypeInfo(typeof(AIContent));
        var largest = -1;
        long largestBytes = 0;
        for (var i = 0; i < message.Contents.Count; i++)
        {
            var item = message.Contents[i];
            if (item is TextContent || IsPlaceholder(item))
            {
                continue;
            }

            long bytes = JsonSerializer.SerializeToUtf8Bytes(item, typeInfo).Length;
            if (bytes > largestBytes)
            {
                largest = i;
                largestBytes = bytes;
            }
        }

        if (largest < 0)
        {
            return false;
        }

        List<AIContent> contents = [.. message.Contents];
        var original = contents[largest];
        var size = original is DataContent data ? data.Data.Length : largestBytes;
        contents[largest] = Placeholder(original, size, string.Create(CultureInfo.InvariantCulture, $"the message would exceed the store's metadata limit of {maxMetadataBytes} bytes"));
        message = WithContents(message, contents);
        return true;
    }

    /// <summary>Cuts the text contents so their UTF-8 total fits, ending the cut one with a marker of how much was left out.</summary>
    private static ChatMessage CutText(ChatMessage message, int maxContentBytes)
    {
        var total = message.Contents.OfType<TextContent>().Sum(t => (long)Encoding.UTF8.GetByteCount(t.Text));
        var marker = string.Create(CultureInfo.InvariantCulture, $"\n[{ChatMessageMetadataKeys.OmittedProperty}: text cut at the store's content limit of {maxContentBytes} bytes; {total} bytes in all]");
        var budget = maxContentBytes - Encoding.UTF8.GetByteCount(marker);
        List<AIContent> contents = [];
        var cut = false;
        foreach (var item in message.Contents)
        {
            if (item is not TextContent text)
            {
                contents.Add(item);
                continue;
            }

            if (cut)
            {
                continue;
            }

            var bytes = Encoding.UTF8.GetByteCount(text.Text);
            if (bytes <= budget)
            {
                budget -= bytes;
                contents.Add(text);
                continue;
            }

            contents.Add(new TextContent(Prefix(text.Text, Math.Max(budget, 0)) + marker) { AdditionalProperties = text.AdditionalProperties, Annotations = text.Annotations });
            cut = true;
        }

        return WithContents(message, contents);
    }

    /// <summary>The longest prefix of whole characters whose UTF-8 form fits the budget.</summary>
    private static string Prefix(string text, int maxBytes)
    {
        var bytes = 0;
        var end = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (bytes + rune.Utf8SequenceLength > maxBytes)
            {
                break;
            }

            bytes += rune.Utf8SequenceLength;
            end += rune.Utf16SequenceLength;
        }

        return text[..end];
    }

    private static bool IsPlaceholder(AIContent item) => item.AdditionalProperties?.ContainsKey(ChatMessageMetadataKeys.OmittedProperty) == true;

    private static AIContent Placeholder(AIContent item, long bytes, string why)
    {
        var (kind, mediaType, name) = item switch
        {
            DataContent d => ("data", d.MediaType, d.Name),
            FunctionResultContent => ("functionResult", null, null),
            FunctionCallContent c => ("functionCall", null, c.Name),
            _ => (item.GetType().Name, null, null),
        };
        var properties = new AdditionalPropertiesDictionary
        {
            [ChatMessageMetadataKeys.OmittedProperty] = kind,
            [ChatMessageMetadataKeys.OmittedProperty + ".bytes"] = bytes,
        };
        if (mediaType is not null)
        {
            properties[ChatMessageMetadataKeys.OmittedProperty + ".mediaType"] = mediaType;
        }

        if (name is not null)
        {
            properties[ChatMessageMetadataKeys.OmittedProperty + ".name"] = name;
        }

        var what = mediaType ?? kind;
        var label = name is null ? what : $"{what} \"{name}\"";
        var text = string.Create(CultureInfo.InvariantCulture, $"[{ChatMessageMetadataKeys.OmittedProperty}: {label} of {bytes} bytes not stored, {why}]");
        return item switch
        {
            FunctionResultContent result => new FunctionResultContent(result.CallId, text) { AdditionalProperties = properties },
            FunctionCallContent call => new FunctionCallContent(call.CallId, call.Name, new Dictionary<string, object?>()) { AdditionalProperties = properties },
            _ => new TextContent(text) { AdditionalProperties = properties },
        };
    }

    private static ChatMessage WithContents(ChatMessage message, List<AIContent> contents)
    {
        var copy = message.Clone();
        copy.Contents = contents;
        return copy;
    }
}
