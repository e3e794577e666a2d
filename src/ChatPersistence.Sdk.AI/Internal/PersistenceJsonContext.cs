using System.Text.Json.Serialization;

namespace ChatPersistence.Sdk.AI.Internal;

/// <summary>Source-generated serialisation of the session state (trimming- and AOT-safe).</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ConversationState))]
[JsonSerializable(typeof(LiveRunState))]
[JsonSerializable(typeof(TurnParentState))]
internal sealed partial class PersistenceJsonContext : JsonSerializerContext;
