using System.Text.Json.Serialization;

namespace ChatPersistence.Sdk.AI.Internal;

/// <summary>What <see cref="PersistentChatHistoryProvider"/> keeps in a session's state bag: only the conversation key.</summary>
internal sealed class ConversationState
{
    [JsonPropertyName("userId")]
    public string UserId { get; set; } = "";

    [JsonPropertyName("workflowId")]
    public string WorkflowId { get; set; } = "";
}
