using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using ModelContextProtocol;

namespace ChatPersistence.Sdk.Mcp.Internal;

/// <summary>
/// The serializer options of the tools: camelCase, nulls left out, and no escaping of non-ASCII letters (a model reads "é", not
/// "\u00E9", and the character budget is not spent on escapes). The text is JSON in a tool result, never HTML.
/// </summary>
internal static class ToolJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
            TypeInfoResolver = JsonTypeInfoResolver.Combine(ToolJsonContext.Default, McpJsonUtilities.DefaultOptions.TypeInfoResolver),
        };
        options.MakeReadOnly();
        return options;
    }

    /// <summary>The length of <paramref name="value"/> as the tools serialise it.</summary>
    public static int Length<T>(T value) => JsonSerializer.Serialize(value, (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T))).Length;

    /// <summary>The length of <paramref name="text"/> as a JSON string, quotes included.</summary>
    public static int EncodedLength(string text) => JsonEncodedText.Encode(text, Options.Encoder).Value.Length + 2;
}
