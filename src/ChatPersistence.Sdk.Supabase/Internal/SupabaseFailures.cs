using System.Net;
using System.Text.Json;

namespace ChatPersistence.Sdk.Supabase.Internal;

/// <summary>
/// Which answers from Supabase are worth retrying, and what exception each failure becomes. One rule set, used both by the
/// resilience handler's retry and by the store's error translation, so "transient" means the same thing in both.
/// </summary>
internal static class SupabaseFailures
{
    /// <summary>
    /// Whether an HTTP answer is transient. PostgREST "Errors" reference: 08* (connection) and 53* (resources) become 503,
    /// 40* (serialization failure, deadlock) become 500; gateways add 502/504, Supabase's rate limits 429, and 408 is a
    /// request timeout. A lock timeout (500 55P03: Supabase sets lock_timeout 8 s on the API's login role) is transient:
    /// the lock holder finishes and a retry gets the lock. A statement timeout (500 57014) is final: the same statement
    /// would run out of time again. Any other 4xx, and a 500 carrying a non-transient SQLSTATE, is final.
    /// </summary>
    public static bool IsTransient(int status, string? code)
    {
        if (status is 408 or 429 or 502 or 503 or 504)
        {
            return true;
        }

        if (status < 500)
        {
            return false;
        }

        // A 5xx without a PostgREST body comes from something in front of PostgREST (gateway, proxy, load balancer).
        return code is null
            || code.StartsWith("08", StringComparison.Ordinal)
            || code.StartsWith("53", StringComparison.Ordinal)
            || code is "40001" or "40P01" or "55P03" or "57P01" or "57P02" or "57P03" or "PGRST000" or "PGRST001" or "PGRST003";
    }

    /// <summary>
    /// Whether a response should be retried (the resilience handler's predicate); reads the body only for a 500, and never
    /// more than <paramref name="maxBytes"/> of it (MaxResponseBytes). A larger error body cannot be read again by the store,
    /// so it ends the call here with <see cref="SupabaseResponseTooLargeException"/>.
    /// </summary>
    public static async ValueTask<bool> ShouldRetryAsync(HttpResponseMessage response, int maxBytes)
    {
        var status = (int)response.StatusCode;
        if (status != (int)HttpStatusCode.InternalServerError)
        {
            return IsTransient(status, null);
        }

        var function = response.RequestMessage?.RequestUri?.Segments[^1] ?? "the call";
        if (response.Content.Headers.ContentLength is { } announced && announced > maxBytes)
        {
            throw TooLarge(function, status, maxBytes, $"announced {announced} bytes (Content-Length)");
        }

        try
        {
            await response.Content.LoadIntoBufferAsync(maxBytes).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (ex.HttpRequestError == HttpRequestError.ConfigurationLimitExceeded)
        {
            // LoadIntoBufferAsync refuses a body past its limit ("Cannot write more bytes to the buffer than the configured
            // maximum buffer size"); what was read is gone. Other failures (the connection dropped) stay what they are.
            throw TooLarge(function, status, maxBytes, "sent more");
        }

        var error = TryParse(await response.Content.ReadAsStringAsync().ConfigureAwait(false));
        return IsTransient(status, error?.Code);
    }

    /// <summary>The error for an answer larger than MaxResponseBytes.</summary>
    public static SupabaseResponseTooLargeException TooLarge(string function, int status, int maxBytes, string what) =>
        new($"The Supabase API answered {function} (HTTP {status}) with a body larger than MaxResponseBytes ({maxBytes} bytes): it {what}. " +
            $"Ask for smaller pages, or raise {SupabaseChatStoreOptions.SectionName}:MaxResponseBytes if such answers are expected.")
        {
            MaxResponseBytes = maxBytes,
            HttpStatusCode = status,
        };

    /// <summary>Parses PostgREST's (or the gateway's) error body, or returns <see langword="null"/> when it is not one.</summary>
    public static PostgrestError? TryParse(string body)
    {
        if (string.IsNullOrWhiteSpace(body) || body.TrimStart()[0] != '{')
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(body, SupabaseJsonContext.Default.PostgrestError);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Turns a failed answer into the contract's typed exception.</summary>
    public static ChatPersistenceException Translate(int status, PostgrestError? error, string function, string schema, NotFoundKind notFound, Guid? resourceId)
    {
        var code = error?.Code;
        var text = error?.Message ?? $"HTTP {status}";
        if (code == "PT404" && text.StartsWith("chat: message ", StringComparison.Ordinal) && FirstGuid(text) is { } named)
        {
            // A parent, a leaf or a switch target that is not a message of the session (the functions name it).
            (notFound, resourceId) = (NotFoundKind.Message, named);
        }

        switch (code)
        {
            case "PT404":
                return new ChatNotFoundException(
                    resourceId is { } id
                        ? (notFound == NotFoundKind.Message ? ChatNotFoundException.ForMessage(id) : ChatNotFoundException.ForSession(id)).Message
                        : text)
                {
                    ResourceKind = notFound == NotFoundKind.Message ? "message" : "session",
                    ResourceId = resourceId,
                    ErrorCode = code,
                    HttpStatusCode = status,
                    Details = error?.Details,
                    Hint = error?.Hint,
                };
            case "PT409":
                return new ChatConflictException(text + "; a retried append must send the same message.")
                {
                    MessageId = FirstGuid(text),
                    ErrorCode = code,
                    HttpStatusCode = status,
                    Details = error?.Details,
                    Hint = error?.Hint,
                };
            case "PGRST202":
                // PostgREST "Errors": no function of that name with these argument names in the schema cache. A hint
                // ("Perhaps you meant…") means the function exists with other arguments: an older or newer migration.
                return Configuration(
                    error?.Hint is { Length: > 0 }
                        ? $"The Supabase project's {schema}.{function} takes other arguments than this version of the SDK sends ({text}). Apply the ChatPersistence migrations of this version (supabase db push; docs/supabase-setup.md), then reload PostgREST's schema cache."
                        : $"The Supabase project has no {schema}.{function} function ({text}). Either the ChatPersistence migrations are not applied (supabase db push; docs/supabase-setup.md), or the chat functions live in another schema: set {SupabaseChatStoreOptions.SectionName}:Schema to it and list it under the project's Exposed schemas (Data API settings).",
                    status, error);
            case "PGRST203":
                return Configuration(
                    $"The Supabase project has two or more overloads of {schema}.{function} that match the call ({text}): a migration left an old version behind. Drop the overload that the ChatPersistence migrations did not create.",
                    status, error);
            case "PGRST106":
                return Configuration(
                    $"The Supabase project does not expose schema '{schema}' ({text}). Add it to Exposed schemas in the project's Data API settings (or set {SupabaseChatStoreOptions.SectionName}:Schema to the exposed schema that holds the chat functions).",
                    status, error);
            case "PGRST300":
                return Configuration($"The Supabase project's API is misconfigured ({text}): PostgREST has no JWT secret or signing keys. This is a server setting, not the caller's access.", status, error);
        }

        if (code == "42501" || status is 401 or 403 || (code?.StartsWith("PGRST30", StringComparison.Ordinal) ?? false))
        {
            return new ChatAccessDeniedException($"Supabase refused {function} (HTTP {status}{(code is null ? "" : " " + code)}): {text}")
            {
                ErrorCode = code,
                HttpStatusCode = status,
                Details = error?.Details,
                Hint = error?.Hint,
            };
        }

        return new ChatPersistenceException($"Supabase could not complete {function} (HTTP {status}{(code is null ? "" : " " + code)}): {text}")
        {
            IsTransient = IsTransient(status, code),
            ErrorCode = code,
            HttpStatusCode = status,
            Details = error?.Details,
            Hint = error?.Hint,
        };
    }

    private static ChatPersistenceException Configuration(string message, int status, PostgrestError? error) => new(message)
    {
        ErrorCode = error?.Code,
        HttpStatusCode = status,
        Details = error?.Details,
        Hint = error?.Hint,
    };

    private static Guid? FirstGuid(string text)
    {
        foreach (var word in text.Split(' ', '"', '\'', ',', ';', '(', ')'))
        {
            if (Guid.TryParse(word, out var id))
            {
                return id;
            }
        }

        return null;
    }
}
