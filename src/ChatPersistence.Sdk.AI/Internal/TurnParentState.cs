using System.Text.Json.Serialization;

namespace ChatPersistence.Sdk.AI.Internal;

/// <summary>
/// Where a <see cref="PersistentChatHistoryProvider"/> run goes in a store that keeps branches, in the session's state bag
/// (<c>&lt;StateKey&gt;.Parent</c>): the parent named by <see cref="PersistentChatHistoryProvider.SetNextParent"/> for the next run,
/// then, from the history read to the store, the parent the run saw (the newest message it provided). Removed when the run ends.
/// </summary>
internal sealed class TurnParentState
{
    /// <summary>Set by <see cref="PersistentChatHistoryProvider.SetNextParent"/>: the message the next run continues from.</summary>
    [JsonPropertyName("nextParentId")]
    public Guid? NextParentId { get; set; }

    /// <summary>Set when the history is provided: the message the run's messages are stored under.</summary>
    [JsonPropertyName("parentId")]
    public Guid? ParentId { get; set; }
}
