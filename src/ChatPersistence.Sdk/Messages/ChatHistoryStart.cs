namespace ChatPersistence.Sdk;

/// <summary>Where a history read without a cursor starts.</summary>
public enum ChatHistoryStart
{
    /// <summary>Start at the newest message and page towards older ones (what a chat window shows first).</summary>
    Newest = 0,

    /// <summary>Start at the oldest message and page towards newer ones (exports, replays).</summary>
    Oldest = 1,
}
