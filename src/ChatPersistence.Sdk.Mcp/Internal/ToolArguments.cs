using System.Globalization;
using System.Text.Json;

namespace ChatPersistence.Sdk.Mcp.Internal;

/// <summary>
/// Checks a call's arguments against the tool's published input schema before the SDK binds them, so a model that sends
/// <c>limit: "ten"</c>, <c>workflow: 123</c> or no <c>workflow</c> learns which argument is wrong and what it should be,
/// instead of the SDK's "An error occurred invoking …". Only the JSON types (and <c>format: uuid</c>) are checked: ranges stay
/// lenient (a larger <c>limit</c> is reduced by the tool), a number written as a string is accepted as the binder accepts it,
/// and arguments the schema does not name are ignored.
/// </summary>
internal static class ToolArguments
{
    /// <summary>A sentence for the model naming the first wrong argument, or <see langword="null"/> when the arguments fit.</summary>
    public static string? Problem(JsonElement schema, IDictionary<string, JsonElement>? arguments)
    {
        if (schema.ValueKind != JsonValueKind.Object || !schema.TryGetProperty("properties", out var properties) || properties.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        if (schema.TryGetProperty("required", out var required) && required.ValueKind == JsonValueKind.Array)
        {
            foreach (var name in required.EnumerateArray())
            {
                if (name.GetString() is { } key && (arguments is null || !arguments.TryGetValue(key, out var given) || given.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
                    && properties.TryGetProperty(key, out var property))
                {
                    return $"The argument '{key}' is required: {Expected(property)}.";
                }
            }
        }

        foreach (var (key, value) in arguments ?? new Dictionary<string, JsonElement>())
        {
            if (properties.TryGetProperty(key, out var property) && !Fits(property, value))
            {
                return $"The argument '{key}' must be {Expected(property)}; it was {Describe(value)}.";
            }
        }

        return null;
    }

    private static bool Fits(JsonElement property, JsonElement value)
    {
        var types = Types(property);
        if (types.Count == 0)
        {
            return true;
        }

        return value.ValueKind switch
        {
            JsonValueKind.Null => types.Contains("null"),
            JsonValueKind.String => (types.Contains("string") && (!IsUuid(property) || Guid.TryParse(value.GetString(), out _)))
                || (types.Contains("integer") && long.TryParse(value.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
                || (types.Contains("number") && double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out _)),
            JsonValueKind.Number => types.Contains("number") || (types.Contains("integer") && value.TryGetInt64(out _)),
            JsonValueKind.True or JsonValueKind.False => types.Contains("boolean"),
            JsonValueKind.Array => types.Contains("array"),
            JsonValueKind.Object => types.Contains("object"),
            _ => false,
        };
    }

    // "an integer from 1 to 50 (How many messages to return, 1 to 50.)"
    private static string Expected(JsonElement property)
    {
        var types = Types(property).Where(t => t != "null").ToList();
        var what = types switch
        {
            ["integer"] => "an integer",
            ["number"] => "a number",
            ["boolean"] => "true or false",
            ["string"] when IsUuid(property) => "a UUID string",
            ["string"] => "a string",
            _ => "a JSON " + string.Join(" or ", types),
        };
        if (property.TryGetProperty("minimum", out var min) && property.TryGetProperty("maximum", out var max))
        {
            what += $" from {min.GetRawText()} to {max.GetRawText()}";
        }

        return property.TryGetProperty("description", out var description) && description.GetString() is { Length: > 0 } text ? $"{what} ({text.TrimEnd('.')})" : what;
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "the string " + Quote(value.GetString()!),
        JsonValueKind.Number => "the number " + Short(value.GetRawText()),
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "not a JSON value",
    };

    // Echoes at most 40 characters of what the model sent, enough to recognise it.
    private static string Quote(string text) => "\"" + JsonEncodedText.Encode(Short(text), ToolJson.Options.Encoder).Value + "\"";

    private static string Short(string text) => text.Length > 40 ? string.Concat(text.AsSpan(0, 40), "…") : text;

    private static bool IsUuid(JsonElement property) => property.TryGetProperty("format", out var format) && format.ValueKind == JsonValueKind.String && format.GetString() == "uuid";

    private static List<string> Types(JsonElement property)
    {
        if (!property.TryGetProperty("type", out var type))
        {
            return [];
        }

        return type.ValueKind switch
        {
            JsonValueKind.String => [type.GetString()!],
            JsonValueKind.Array => [.. type.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!)],
            _ => [],
        };
    }
}
