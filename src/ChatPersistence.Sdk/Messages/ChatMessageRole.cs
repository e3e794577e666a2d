using System.Text.Json.Serialization;

namespace ChatPersistence.Sdk;

/// <summary>
/// The author role of a stored chat message. Stored and serialised as the lower-case names
/// <c>user</c>, <c>assistant</c>, <c>system</c> and <c>tool</c>, the roles Microsoft.Extensions.AI uses.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<ChatMessageRole>))]
public enum ChatMessageRole
{
    /// <summary>A message written by the end user (stored as <c>user</c>).</summary>
    [JsonStringEnumMemberName("user")]
    User = 0,

    /// <summary>A reply produced by the assistant or agent (stored as <c>assistant</c>).</summary>
    [JsonStringEnumMemberName("assistant")]
    Assistant = 1,

    /// <summary>A system or developer instruction (stored as <c>system</c>).</summary>
    [JsonStringEnumMemberName("system")]
    System = 2,

    /// <summary>The result of a tool call (stored as <c>tool</c>).</summary>
    [JsonStringEnumMemberName("tool")]
    Tool = 3,
}
