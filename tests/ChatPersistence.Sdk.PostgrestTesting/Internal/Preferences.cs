namespace ChatPersistence.Sdk.PostgrestTesting.Internal;

/// <summary>
/// The <c>Prefer</c> header as PostgREST reads it (ApiRequest/Preferences.hs <c>fromHeaders</c>: every Prefer header, split
/// on commas, trimmed; for each preference the first recognised value wins; unrecognised tokens are ignored unless
/// <c>handling=strict</c>). Only what this server emulates is kept; <see cref="Unemulated"/> names the first token it does not.
/// </summary>
internal sealed record Preferences(string? Return, bool CountExact, string? Resolution, string? Handling, string? Unemulated)
{
    /// <summary>Whether <c>return=representation</c> was asked for.</summary>
    public bool Representation => Return == "representation";

    public static Preferences Parse(IEnumerable<string?> headers)
    {
        string? returned = null, resolution = null, handling = null, unemulated = null;
        var count = false;
        foreach (var token in headers.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)))
        {
            switch (token)
            {
                case "return=representation" or "return=minimal":
                    returned ??= token["return=".Length..];
                    break;
                case "count=exact":
                    count = true;
                    break;
                case "resolution=merge-duplicates" or "resolution=ignore-duplicates":
                    resolution ??= token["resolution=".Length..];
                    break;
                case "handling=lenient":
                    handling ??= "lenient";
                    break;
                // Recognised by PostgREST, not emulated here: Location headers, planned/estimated counts (EXPLAIN), rollback
                // and timezone overrides, max-affected, missing=default (?columns) and strict handling.
                case "return=headers-only" or "count=planned" or "count=estimated" or "tx=commit" or "tx=rollback"
                    or "missing=default" or "missing=null" or "handling=strict":
                    unemulated ??= token;
                    break;
                default:
                    if (token.StartsWith("timezone=", StringComparison.Ordinal) || token.StartsWith("max-affected=", StringComparison.Ordinal))
                    {
                        unemulated ??= token;
                    }

                    // Anything else is not a preference PostgREST knows: ignored (handling=lenient is the default), as
                    // params=single-object is since v13.
                    break;
            }
        }

        return new Preferences(returned, count, resolution, handling, unemulated);
    }
}
