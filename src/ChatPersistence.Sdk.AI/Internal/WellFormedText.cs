using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChatPersistence.Sdk.Internal;

namespace ChatPersistence.Sdk.AI.Internal;

/// <summary>
/// Makes a model's output storable whatever its text holds: an unpaired UTF-16 surrogate (which no store can keep as
/// UTF-8) becomes U+FFFD, in the content and in every string and property name of the metadata. Only answers are repaired —
/// the model has already answered, so refusing them would lose the turn; a caller's own messages are refused before the
/// model is called instead.
/// </summary>
internal static class WellFormedText
{
    public static NewChatMessage Repair(NewChatMessage message)
    {
        var content = Replace(message.Content);
        var metadata = message.Metadata;
        if (metadata is { } m && HasUnpaired(m))
        {
            var node = Repair(JsonNode.Parse(m.GetRawText()));
            using var document = JsonDocument.Parse(node?.ToJsonString() ?? "null");
            metadata = document.RootElement.Clone();
        }

        return ReferenceEquals(content, message.Content) && metadata.Equals(message.Metadata)
            ? message
            : message with { Content = content, Metadata = metadata };
    }

    private static bool HasUnpaired(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => IsUnpaired(element.GetString()!),
        JsonValueKind.Array => element.EnumerateArray().Any(HasUnpaired),
        JsonValueKind.Object => element.EnumerateObject().Any(p => IsUnpaired(p.Name) || HasUnpaired(p.Value)),
        _ => false,
    };

    private static JsonNode? Repair(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                var repaired = new JsonObject();
                foreach (var (name, value) in obj.ToList())
                {
                    obj.Remove(name);
                    repaired[Replace(name)] = Repair(value);
                }

                return repaired;
            case JsonArray array:
                var items = array.ToList();
                array.Clear();
                return new JsonArray(items.Select(Repair).ToArray());
            case JsonValue value when value.TryGetValue<string>(out var text):
                return IsUnpaired(text) ? JsonValue.Create(Replace(text)) : value;
            default:
                return node;
        }
    }

    private static bool IsUnpaired(string text) => FirstUnpaired(text) >= 0;

    // The store's own rule (InputValidator), so "repaired" means exactly "what the store accepts".
    private static int FirstUnpaired(string text) => InputValidator.IsWellFormed(text, out var index) ? -1 : index;

    private static string Replace(string text)
    {
        var first = FirstUnpaired(text);
        if (first < 0)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length).Append(text, 0, first);
        for (var i = first; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                builder.Append(text, i, 2);
                i++;
            }
            else
            {
                builder.Append(char.IsSurrogate(text[i]) ? '\uFFFD' : text[i]);
            }
        }

        return builder.ToString();
    }
}
