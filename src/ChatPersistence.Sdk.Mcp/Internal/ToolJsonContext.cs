using System.Text.Json.Serialization;

namespace ChatPersistence.Sdk.Mcp.Internal;

/// <summary>Source-generated serialization of the tools' results and arguments (trimming and AOT friendly).</summary>
[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SearchResult))]
[JsonSerializable(typeof(MessagePageResult))]
[JsonSerializable(typeof(WorkflowListResult))]
[JsonSerializable(typeof(FavoriteListResult))]
[JsonSerializable(typeof(SetFavoriteResult))]
[JsonSerializable(typeof(SearchHitItem))]
[JsonSerializable(typeof(MessageItem))]
[JsonSerializable(typeof(WorkflowItem))]
[JsonSerializable(typeof(FavoriteItem))]
[JsonSerializable(typeof(MessageVersionsResult))]
[JsonSerializable(typeof(MessageVersionItem))]
[JsonSerializable(typeof(VersionPosition))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(int?))]
[JsonSerializable(typeof(bool))]
[JsonSerializable(typeof(Guid))]
internal sealed partial class ToolJsonContext : JsonSerializerContext;
