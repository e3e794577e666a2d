using System.Text.Json;
using System.Text.Json.Serialization;

namespace ChatPersistence.Sdk.Supabase.Internal;

/// <summary>
/// Reads message metadata; the common empty object <c>{}</c> becomes one shared immutable element instead of a new
/// <see cref="JsonDocument"/> per message.
/// </summary>
internal sealed class MetadataConverter : JsonConverter<JsonElement>
{
    private static readonly JsonElement Empty = JsonDocument.Parse("{}").RootElement.Clone();

    public override JsonElement Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            var copy = reader;
            if (copy.Read() && copy.TokenType == JsonTokenType.EndObject)
            {
                reader.Read();
                return Empty;
            }
        }

        return JsonElement.ParseValue(ref reader);
    }

    public override void Write(Utf8JsonWriter writer, JsonElement value, JsonSerializerOptions options) => value.WriteTo(writer);
}
