using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;

namespace ChatPersistence.Sdk.Internal;

/// <summary>The shared input rules (see <see cref="ChatPersistenceLimits"/>), applied before a store sees a call.</summary>
internal static class InputValidator
{
    /// <summary>Up to this many properties, an object's names are checked for repeats pairwise, with no set and no strings.</summary>
    private const int MaxPairwiseNames = 32;

    [ThreadStatic]
    private static ByteCounter? t_counter;

    [ThreadStatic]
    private static Utf8JsonWriter? t_sizeWriter;

    public static void Id(string? value, int maxLength, string paramName)
    {
        ArgumentNullException.ThrowIfNull(value, paramName);
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new ArgumentException("The value must not be empty or white space.", paramName);
        }

        if (value.Length > maxLength)
        {
            throw new ArgumentException($"The value is {value.Length} characters long; the maximum is {maxLength}.", paramName);
        }

        foreach (var c in value)
        {
            if (char.IsControl(c))
            {
                throw new ArgumentException($"The value contains the control character U+{(int)c:X4}; ids may not contain control characters.", paramName);
            }
        }

        Text(value, paramName);
    }

    /// <summary>
    /// Checks a workflow id and returns it in Unicode normalization form C, so that "é" typed as one code point or as "e"
    /// plus a combining accent names one workflow in every store. Bidirectional override, embedding and isolate controls and
    /// the invisible direction marks are refused: they make two different ids look identical.
    /// </summary>
    public static string WorkflowId(string? value, string paramName)
    {
        ArgumentNullException.ThrowIfNull(value, paramName);
        foreach (var c in value)
        {
            if (c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069' or '\u200E' or '\u200F' or '\u061C')
            {
                throw new ArgumentException($"The value contains the invisible direction control U+{(int)c:X4}; workflow ids may not contain bidirectional controls.", paramName);
            }
        }

        if (!value.IsNormalized(System.Text.NormalizationForm.FormC))
        {
            try
            {
                value = value.Normalize(System.Text.NormalizationForm.FormC);
            }
            catch (ArgumentException)
            {
                // Not normalizable (a lone surrogate): Id() below reports it.
            }
        }

        Id(value, ChatPersistenceLimits.MaxWorkflowIdLength, paramName);
        return value;
    }

    public static void NotEmpty(Guid value, string paramName)
    {
        if (value == Guid.Empty)
        {
            throw new ArgumentException("The id must not be Guid.Empty.", paramName);
        }
    }

    public static void Title(string? value, string paramName)
    {
        if (value is null)
        {
            return;
        }

        if (value.Length > ChatPersistenceLimits.MaxTitleLength)
        {
            throw new ArgumentException($"The title is {value.Length} characters long; the maximum is {ChatPersistenceLimits.MaxTitleLength}.", paramName);
        }

        Text(value, paramName);
    }

    public static void PageSize(int value, int max, string paramName)
    {
        if (value < 1 || value > max)
        {
            throw new ArgumentOutOfRangeException(paramName, value, $"The page size must be between 1 and {max}.");
        }
    }

    public static void SearchQuery(string? query, string paramName)
    {
        ArgumentNullException.ThrowIfNull(query, paramName);
        if (query.Length > ChatPersistenceLimits.MaxSearchQueryLength)
        {
            throw new ArgumentException($"The search query is {query.Length} characters long; the maximum is {ChatPersistenceLimits.MaxSearchQueryLength}.", paramName);
        }

        Text(query, paramName);
        foreach (var rune in query.EnumerateRunes())
        {
            if (Rune.IsLetterOrDigit(rune))
            {
                return;
            }
        }

        throw new ArgumentException("The search query must contain at least one letter or digit.", paramName);
    }

    /// <summary>Validates a batch and returns it normalised (timestamps truncated to microseconds).</summary>
    public static NewChatMessage[] Messages(IReadOnlyList<NewChatMessage>? messages, ChatPersistenceOptions options, string paramName)
    {
        ArgumentNullException.ThrowIfNull(messages, paramName);
        if (messages.Count == 0 || messages.Count > ChatPersistenceLimits.MaxBatchSize)
        {
            throw new ArgumentException($"A batch must hold between 1 and {ChatPersistenceLimits.MaxBatchSize} messages; it holds {messages.Count}.", paramName);
        }

        var result = new NewChatMessage[messages.Count];

        // A batch of one (the common append) cannot repeat an id: no set for it.
        var ids = messages.Count > 1 ? new HashSet<Guid>() : null;
        for (var i = 0; i < messages.Count; i++)
        {
            var message = messages[i] ?? throw new ArgumentException($"Message {i} of the batch is null.", paramName);

            // Named in error messages only; a valid message costs no string.
            string Where() => $"Message {i} ({message.Id}) of the batch";
            if (message.Id == Guid.Empty)
            {
                throw new ArgumentException($"Message {i} of the batch has the id Guid.Empty; use Guid.CreateVersion7().", paramName);
            }

            if (ids is not null && !ids.Add(message.Id))
            {
                throw new ArgumentException($"{Where()} repeats an id used earlier in the same batch.", paramName);
            }

            if (!Enum.IsDefined(message.Role))
            {
                throw new ArgumentException($"{Where()} has the undefined role {(int)message.Role}.", paramName);
            }

            if (message.Content is null)
            {
                throw new ArgumentException($"{Where()} has null content; use an empty string with metadata for content-less turns.", paramName);
            }

            // The check itself allocates nothing; Text builds the exact error message.
            if (!IsWellFormed(message.Content, out _))
            {
                Text(message.Content, paramName, Where() + " content", allowNul: true);
            }

            var contentBytes = Encoding.UTF8.GetByteCount(message.Content);
            if (contentBytes > options.MaxContentBytes)
            {
                throw new ArgumentException($"{Where()} content is {contentBytes} UTF-8 bytes; the maximum is {options.MaxContentBytes}.", paramName);
            }

            var metadataIsEmpty = message.Metadata is not { } metadata || Metadata(metadata, options, paramName, null, i, message.Id);

            if (message.Content.Length == 0 && metadataIsEmpty)
            {
                throw new ArgumentException($"{Where()} has empty content and no metadata; an empty message is allowed only when metadata carries its payload.", paramName);
            }

            if (message.CreatedAt is { } createdAt && (createdAt.UtcDateTime.Year < 1900 || createdAt.UtcDateTime.Year > 9000))
            {
                throw new ArgumentOutOfRangeException(paramName, createdAt, $"{Where()} has a creation time outside the years 1900 to 9000.");
            }

            result[i] = message.CreatedAt is { } at ? message with { CreatedAt = ChatTime.Truncate(at) } : message;
        }

        return result;
    }

    /// <summary>
    /// Checks metadata (a JSON object within the size limit, well-formed) and returns whether it is empty. Errors name
    /// <paramref name="what"/>, or message <paramref name="index"/> of a batch when it is <see langword="null"/> (built only when thrown).
    /// </summary>
    public static bool Metadata(JsonElement metadata, ChatPersistenceOptions options, string paramName, string? what, int index = 0, Guid id = default)
    {
        string Where() => what ?? $"Message {index} ({id}) of the batch";
        if (metadata.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException($"{Where()} metadata is a JSON {metadata.ValueKind}; it must be a JSON object.", paramName);
        }

        Json(metadata, paramName, Where() + " metadata");
        var metadataBytes = CompactSize(metadata);
        if (metadataBytes > options.MaxMetadataBytes)
        {
            throw new ArgumentException($"{Where()} metadata is {metadataBytes} bytes of JSON; the maximum is {options.MaxMetadataBytes}.", paramName);
        }

        var properties = metadata.EnumerateObject();
        return !properties.MoveNext();
    }

    /// <summary>Validates a piece of a reply's text and returns it as the store keeps it (see <see cref="ChatTextChunk"/>).</summary>
    public static ChatTextChunk ReplyText(long offset, string? text, ChatPersistenceOptions options, string paramName)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset, nameof(offset));
        ArgumentNullException.ThrowIfNull(text, paramName);
        if (!IsWellFormed(text, out _))
        {
            Text(text, paramName, "The reply text", allowNul: true);
        }

        var bytes = Encoding.UTF8.GetByteCount(text);
        if (bytes > options.MaxContentBytes)
        {
            throw new ArgumentException($"The reply text is {bytes} UTF-8 bytes; a whole reply may hold at most {options.MaxContentBytes}.", paramName);
        }

        return new ChatTextChunk(offset, StoredText.Encode(text), text.Length, bytes);
    }

    public static void Text(string value, string paramName, string what = "The value", bool allowNul = false)
    {
        var index = allowNul ? -1 : value.AsSpan().IndexOf('\0');
        if (index >= 0)
        {
            throw new ArgumentException($"{what} contains U+0000 at index {index}; it is accepted in message content and metadata only.", paramName);
        }

        if (!IsWellFormed(value, out index))
        {
            throw new ArgumentException($"{what} contains an unpaired UTF-16 surrogate at index {index}; it cannot be stored as UTF-8.", paramName);
        }
    }

    /// <summary>Whether <paramref name="value"/> has no unpaired UTF-16 surrogate; <paramref name="index"/> is the first one's, or -1.</summary>
    internal static bool IsWellFormed(string value, out int index)
    {
        var span = value.AsSpan();
        for (index = 0; index < span.Length; index++)
        {
            var c = span[index];
            if (char.IsHighSurrogate(c))
            {
                if (index + 1 < span.Length && char.IsLowSurrogate(span[index + 1]))
                {
                    index++;
                    continue;
                }

                return false;
            }

            if (char.IsLowSurrogate(c))
            {
                return false;
            }
        }

        index = -1;
        return true;
    }

    private static void Json(JsonElement element, string paramName, string what)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                if (!PlainNames(element))
                {
                    var names = new HashSet<string>(StringComparer.Ordinal);
                    foreach (var property in element.EnumerateObject())
                    {
                        string name;
                        try
                        {
                            name = property.Name;
                        }
                        catch (InvalidOperationException ex)
                        {
                            // An escaped lone surrogate ("\udc00") cannot be decoded into a string.
                            throw new ArgumentException($"{what} holds a property name that is not valid Unicode.", paramName, ex);
                        }

                        Text(name, paramName, what + " property name", allowNul: true);
                        if (!names.Add(name))
                        {
                            throw new ArgumentException($"{what} repeats the property name '{name}' in one object; JSON stores keep only one of them.", paramName);
                        }

                        Json(property.Value, paramName, what);
                    }

                    break;
                }

                // Every name is plain (see PlainNames): its raw bytes are the name, and equal names have equal bytes.
                var index = 0;
                foreach (var property in element.EnumerateObject())
                {
                    var name = JsonMarshal.GetRawUtf8PropertyName(property);
                    var earlierIndex = 0;
                    foreach (var earlier in element.EnumerateObject())
                    {
                        if (earlierIndex++ == index)
                        {
                            break;
                        }

                        if (JsonMarshal.GetRawUtf8PropertyName(earlier).SequenceEqual(name))
                        {
                            throw new ArgumentException($"{what} repeats the property name '{property.Name}' in one object; JSON stores keep only one of them.", paramName);
                        }
                    }

                    index++;
                    Json(property.Value, paramName, what);
                }

                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    Json(item, paramName, what);
                }

                break;
            case JsonValueKind.String when IsPlain(JsonMarshal.GetRawUtf8Value(element)):
                // Valid UTF-8 without escapes decodes to well-formed text: nothing to check, no string to make.
                break;
            case JsonValueKind.String:
                string text;
                try
                {
                    text = element.GetString()!;
                }
                catch (InvalidOperationException ex)
                {
                    throw new ArgumentException($"{what} holds a string that is not valid Unicode.", paramName, ex);
                }

                Text(text, paramName, what + " string", allowNul: true);
                break;
        }
    }

    /// <summary>
    /// Whether every property name of <paramref name="element"/> is plain, and there are few enough of them to compare pairwise.
    /// </summary>
    private static bool PlainNames(JsonElement element)
    {
        var count = 0;
        foreach (var property in element.EnumerateObject())
        {
            if (++count > MaxPairwiseNames || !IsPlain(JsonMarshal.GetRawUtf8PropertyName(property)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Raw JSON text with no escape sequence and valid UTF-8: it is its own value, and that value is well-formed.</summary>
    private static bool IsPlain(ReadOnlySpan<byte> raw) => raw.IndexOf((byte)'\\') < 0 && Utf8.IsValid(raw);

    /// <summary>The size of <paramref name="element"/> written compactly, counted without keeping the bytes.</summary>
    private static long CompactSize(JsonElement element)
    {
        var counter = t_counter ??= new ByteCounter();
        counter.Reset();
        var writer = t_sizeWriter;
        if (writer is null)
        {
            t_sizeWriter = writer = new Utf8JsonWriter(counter);
        }
        else
        {
            writer.Reset(counter);
        }

        element.WriteTo(writer);
        writer.Flush();
        return counter.Count;
    }
}
