namespace ChatPersistence.Sdk.ChangeFeed;

/// <summary>What a <see cref="ChatChange"/> reports.</summary>
public enum ChatChangeKind
{
    /// <summary>Messages were appended to the session; <see cref="ChatChange.Sequence"/> is the highest sequence appended.
    /// Read them with <see cref="IChatSessionStore.GetMessagesAsync"/> after the last sequence the reader has.</summary>
    MessagesAppended = 1,

    /// <summary>The session's messages were cleared (the session is kept).</summary>
    SessionCleared = 2,

    /// <summary>The session was deleted (by the user or by retention).</summary>
    SessionDeleted = 3,

    /// <summary>The session's title was set or removed.</summary>
    SessionRenamed = 4,

    /// <summary>A message was marked or unmarked as a favourite: <see cref="ChatChange.MessageId"/>, <see cref="ChatChange.Sequence"/> and <see cref="ChatChange.IsFavorite"/> say which and how.</summary>
    FavoriteSet = 5,

    /// <summary>
    /// A reply in progress grew: <see cref="ChatChange.MessageId"/>, <see cref="ChatChange.Sequence"/> and
    /// <see cref="ChatChange.Length"/> (the stored length; read the new text with
    /// <see cref="IChatSessionStore.ReadReplyAsync"/> after the length the reader has). Volatile: not logged, not replayed
    /// on resume, coalesced (at most one per reply every 100 ms per watcher, with the latest length); never carries text.
    /// </summary>
    ReplyGrew = 6,

    /// <summary>
    /// A reply in progress ended: <see cref="ChatChange.MessageId"/>, <see cref="ChatChange.Sequence"/> and
    /// <see cref="ChatChange.Status"/> (complete, stopped or interrupted). Re-read the message. A reply whose lease
    /// expired unseen has no event until a store settles it: readers re-read at <see cref="StoredChatMessage.LeaseExpiresAt"/>.
    /// </summary>
    ReplyEnded = 7,

    /// <summary>
    /// Someone asked a reply in progress to stop (<see cref="IChatSessionStore.StopReplyAsync"/>): <see cref="ChatChange.MessageId"/>
    /// and <see cref="ChatChange.Sequence"/>. The writer of that reply (on any instance) stops producing it; it then ends as
    /// stopped (<see cref="ReplyEnded"/>).
    /// </summary>
    ReplyStopRequested = 9,

    /// <summary>
    /// The session's active path changed (a switch to another version, or an append under a message that was not the active
    /// leaf, such as an edit or a regeneration): <see cref="ChatChange.MessageId"/> and <see cref="ChatChange.Sequence"/> are the
    /// new leaf, <see cref="ChatChange.ForkSequence"/> the last message the old and new paths share. Keep the messages up to it
    /// and read the rest again.
    /// </summary>
    ActivePathChanged = 8,
}
