using System.Text.Json.Serialization;

namespace ChatPersistence.Sdk.Supabase.Internal;

/// <summary>Source-generated (reflection-free, trimming- and AOT-safe) JSON for PostgREST's responses.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, GenerationMode = JsonSourceGenerationMode.Metadata)]
[JsonSerializable(typeof(List<SessionRow>))]
[JsonSerializable(typeof(List<SearchRow>))]
[JsonSerializable(typeof(List<ReplyProgressRow>))]
[JsonSerializable(typeof(List<ReplyTextRow>))]
[JsonSerializable(typeof(List<SiblingRow>))]
[JsonSerializable(typeof(List<ActivePathRow>))]
[JsonSerializable(typeof(PostgrestError))]
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(bool))]
internal sealed partial class SupabaseJsonContext : JsonSerializerContext;
