using ChatPersistence.Sdk;

namespace ChatPersistence.Samples.Console;

/// <summary>What the console holds for one workflow: its session and the messages loaded so far (the per-workflow cache).</summary>
internal sealed class WorkflowView(ChatSession session)
{
    public ChatSession Session { get; set; } = session;

    public List<StoredChatMessage> Messages { get; } = [];

    public string? OlderCursor { get; set; }

    public bool HasOlder { get; set; }

    /// <summary>Where the next "what is new" read starts (after the last message shown).</summary>
    public string? NewerCursor { get; set; }
}
