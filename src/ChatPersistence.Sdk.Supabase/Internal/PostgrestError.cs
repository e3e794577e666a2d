namespace ChatPersistence.Sdk.Supabase.Internal;

/// <summary>
/// PostgREST's error body: <c>{"code", "message", "details", "hint"}</c> (PostgREST "Errors" reference). Supabase's API
/// gateway answers key problems with <c>{"message"}</c> only.
/// </summary>
internal sealed class PostgrestError
{
    public string? Code { get; set; }

    public string? Message { get; set; }

    public string? Details { get; set; }

    public string? Hint { get; set; }
}
