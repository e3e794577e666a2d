using System.Text.Json.Serialization;

namespace ChatPersistence.Sdk.AI.Internal;

/// <summary>
/// What <see cref="PersistentReplyAgent"/> keeps in a session's state bag while a streaming run stores its reply live
/// (<see cref="PersistentChatHistoryProvider.LiveRepliesStateKey"/>): the ids of the replies begun by the run, and whether the
/// provider stored the run's request already. Present only during such a run: the provider then stores the request before
/// the model is called (so the reply follows its question) and leaves the response to the agent.
/// </summary>
internal sealed class LiveRunState
{
    [JsonPropertyName("replyIds")]
    public List<Guid> ReplyIds { get; set; } = [];

    [JsonPropertyName("requestStored")]
    public bool RequestStored { get; set; }

    /// <summary>The message the run's response goes under (its stored request's last message, or the parent the provider read up to); null: the active leaf.</summary>
    [JsonPropertyName("parentId")]
    public Guid? ParentId { get; set; }
}
