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

    /// <summary>
    /// Room for what wraps a result on its way to the model besides its two copies: <c>{"content":[{"type":"text","text":…}],
    /// "structuredContent":…}</c> and the flags and metadata the SDKs add.
    /// </summary>
    public const int ModelEnvelope = 200;

    // The official C# client hands M.E.AI the whole CallToolResult, which the chat client serialises for the model with
    // AIJsonUtilities.DefaultOptions: indented, non-ASCII kept. structuredContent sits one level deep, list items three.
    private static readonly JsonSerializerOptions Indented = CreateIndented();

    /// <summary>
    /// The length of <paramref name="value"/> as a model receives it through the official C# client's <c>McpClientTool</c>: the
    /// whole <c>CallToolResult</c> as indented JSON, so the result twice — once as <c>structuredContent</c> (indented, one level
    /// deep), once as the text, escaped again as a JSON string — plus <see cref="ModelEnvelope"/>.
    /// </summary>
    public static int ModelLength<T>(T value) => Measure(value, depth: 1) + ModelEnvelope;

    /// <summary>What one item of a result's list adds to <see cref="ModelLength"/>, its separators included.</summary>
    public static int ModelItemLength<T>(T value) => Measure(value, depth: 3) - 2 + 2 + Indented.NewLine.Length;

    private static int Measure<T>(T value, int depth)
    {
        var compact = JsonSerializer.Serialize(value, (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T)));
        var indented = JsonSerializer.Serialize(value, (JsonTypeInfo<T>)Indented.GetTypeInfo(typeof(T)));
        var lines = indented.AsSpan().Count('\n') + 1;
        return EncodedLength(compact) + indented.Length + (lines * 2 * depth);
    }

    private static JsonSerializerOptions CreateIndented()
    {
        var options = new JsonSerializerOptions(Options) { WriteIndented = true };
        options.MakeReadOnly();
        return options;
    }

    /// <summary>The length of <paramref name="text"/> as a JSON string, quotes included.</summary>
    public static int EncodedLength(string text) => JsonEncodedText.Encode(text, Options.Encoder).Value.Length + 2;
}
