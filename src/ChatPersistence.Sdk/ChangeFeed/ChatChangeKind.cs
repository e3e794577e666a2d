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
}
