using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ChatPersistence.Sdk.Internal;

/// <summary>
/// The reversible escape that lets any text reach every store: PostgreSQL cannot keep U+0000 in <c>text</c> or <c>jsonb</c>, so
/// message content and metadata (keys and string values) are stored with U+0000 written as U+FDD0 U+FDD1 and U+FDD0 itself written
/// as U+FDD0 U+FDD0, and restored when read. U+FDD0 and U+FDD1 are Unicode noncharacters, set aside for exactly this internal use.
/// Applied by <see cref="ChatSessionStore"/> for every store alike, so stored rows mean the same in each. Text without either
/// character is not copied.
/// </summary>
internal static class StoredText
{
    public const char Escape = '\uFDD0';
    public const char Nul = '\uFDD1';

    private static readonly SearchValues<char> ToEscape = SearchValues.Create("\0\uFDD0");
    private static readonly JsonSerializerOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = false };

    public static NewChatMessage Encode(NewChatMessage message)
    {
        var content = Encode(message.Content);
        var encodeMetadata = message.Metadata is { } m && NeedsEncoding(m);
        if (ReferenceEquals(content, message.Content) && !encodeMetadata)
        {
            return message;
        }

        return message with { Content = content, Metadata = encodeMetadata ? Rewrite(message.Metadata!.Value, Encode) : message.Metadata };
    }

    /// <summary>Metadata as stored (keys and string values escaped), for a store that writes a reply's metadata itself.</summary>
    public static JsonElement EncodeMetadata(JsonElement metadata) => NeedsEncoding(metadata) ? Rewrite(metadata, Encode) : metadata;

    public static StoredChatMessage Decode(StoredChatMessage message)
    {
        var content = Decode(message.Content);
        var decodeMetadata = NeedsDecoding(message.Metadata);
        if (ReferenceEquals(content, message.Content) && !decodeMetadata)
        {
            return message;
        }

        return message with { Content = content, Metadata = decodeMetadata ? Rewrite(message.Metadata, Decode) : message.Metadata };
    }

    public static ChatSearchHit Decode(ChatSearchHit hit)
    {
        var message = Decode(hit.Message);
        if (hit.Snippet.IndexOf(Escape) < 0)
        {
            return ReferenceEquals(message, hit.Message) ? hit : hit with { Message = message };
        }

        // Highlights are positions in the snippet: map them onto the restored text.
        var map = new int[hit.Snippet.Length + 1];
        var snippet = Decode(hit.Snippet, map);
        var highlights = hit.Highlights.Select(h => new ChatTextSpan(map[h.Start], map[h.Start + h.Length] - map[h.Start])).ToArray();
        return hit with { Message = message, Snippet = snippet, Highlights = highlights };
    }

    public static string Encode(string value)
    {
        var first = value.AsSpan().IndexOfAny(ToEscape);
        if (first < 0)
        {
            return value;
        }

        var builder = new StringBuilder(value.Length + 8);
        builder.Append(value, 0, first);
        for (var i = first; i < value.Length; i++)
        {
            switch (value[i])
            {
                case '\0':
                    builder.Append(Escape).Append(Nul);
                    break;
                case Escape:
                    builder.Append(Escape).Append(Escape);
                    break;
                default:
                    builder.Append(value[i]);
                    break;
            }
        }

        return builder.ToString();
    }

    public static string Decode(string value) => value.IndexOf(Escape) < 0 ? value : Decode(value, null);

    /// <summary>Restores escaped text; <paramref name="map"/>, when given, receives the restored position of every position (and the end).</summary>
    private static string Decode(string value, int[]? map)
    {
        var builder = new StringBuilder(value.Length);
        var i = 0;
        while (i < value.Length)
        {
            if (map is not null)
            {
                map[i] = builder.Length;
            }

            if (value[i] == Escape && i + 1 < value.Length && (value[i + 1] == Nul || value[i + 1] == Escape))
            {
                builder.Append(value[i + 1] == Nul ? '\0' : Escape);
                if (map is not null)
                {
                    map[i + 1] = builder.Length;
                }

                i += 2;
                continue;
            }

            // An escape character not followed by one of the two marks was not written by Encode: it is kept as it is.
            builder.Append(value[i]);
            i++;
        }

        if (map is not null)
        {
            map[value.Length] = builder.Length;
        }

        return builder.ToString();
    }

    private static bool NeedsEncoding(JsonElement element)
    {
        var raw = JsonMarshal.GetRawUtf8Value(element);
        return raw.IndexOf("\\u0000"u8) >= 0 || ContainsEscape(raw);
    }

    private static bool NeedsDecoding(JsonElement element) =>
        element.ValueKind is JsonValueKind.Object or JsonValueKind.Array && ContainsEscape(JsonMarshal.GetRawUtf8Value(element));

    /// <summary>Whether the JSON holds U+FDD0, raw or as a <c>\u</c> escape in any letter case.</summary>
    private static bool ContainsEscape(ReadOnlySpan<byte> raw)
    {
        if (raw.IndexOf("\uFDD0"u8) >= 0)
        {
            return true;
        }

        // An escaped backslash followed by "u" can match too; that only costs an unneeded rewrite.
        var rest = raw;
        int at;
        while ((at = rest.IndexOf("\\u"u8)) >= 0 && at + 6 <= rest.Length)
        {
            if (System.Text.Ascii.EqualsIgnoreCase(rest.Slice(at + 2, 4), "fdd0"u8))
            {
                return true;
            }

            rest = rest[(at + 2)..];
        }

        return false;
    }

    private static JsonElement Rewrite(JsonElement element, Func<string, string> text)
    {
        var node = Rewrite(JsonNode.Parse(element.GetRawText()), text);
        using var document = JsonDocument.Parse(node?.ToJsonString(WriterOptions) ?? "null");
        return document.RootElement.Clone();
    }

    private static JsonNode? Rewrite(JsonNode? node, Func<string, string> text)
    {
        switch (node)
        {
            case JsonObject obj:
                var copy = new JsonObject();
                foreach (var pair in obj)
                {
                    copy[text(pair.Key)] = Rewrite(pair.Value?.DeepClone(), text);
                }

                return copy;
            case JsonArray array:
                var list = new JsonArray();
                foreach (var item in array)
                {
                    list.Add(Rewrite(item?.DeepClone(), text));
                }

                return list;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                return JsonValue.Create(text(value.GetValue<string>()));
            default:
                return node;
        }
    }
}
