namespace ChatPersistence.Sdk;

/// <summary>
/// Options shared by every store, bound from the <c>ChatPersistence</c> configuration section and validated at start-up.
/// </summary>
public sealed class ChatPersistenceOptions
{
    /// <summary>The configuration section the options are bound from: <c>ChatPersistence</c>.</summary>
    public const string SectionName = "ChatPersistence";

    /// <summary>
    /// The maximum size of a message's content in UTF-8 bytes: 1 to <see cref="ChatPersistenceLimits.MaxContentBytesCeiling"/>.
    /// Defaults to <see cref="ChatPersistenceLimits.DefaultMaxContentBytes"/> (1 MiB).
    /// </summary>
    public int MaxContentBytes { get; set; } = ChatPersistenceLimits.DefaultMaxContentBytes;

    /// <summary>
    /// The maximum size of a message's metadata in UTF-8 bytes of compact JSON: 2 to
    /// <see cref="ChatPersistenceLimits.MaxMetadataBytesCeiling"/>. Defaults to <see cref="ChatPersistenceLimits.DefaultMaxMetadataBytes"/> (1 MiB).
    /// </summary>
    public int MaxMetadataBytes { get; set; } = ChatPersistenceLimits.DefaultMaxMetadataBytes;

    /// <summary>Replies stored while they are written: the lease (section <c>ChatPersistence:Replies</c>).</summary>
    public ChatReplyOptions Replies { get; set; } = new();

    /// <summary>
    /// The most versions a message may have (the children of one parent, or the roots of one session) on stores with
    /// <see cref="ChatStoreCapabilities.Branches"/>: 2 to <see cref="ChatPersistenceLimits.MaxVersionsCeiling"/>, default
    /// <see cref="ChatPersistenceLimits.DefaultMaxVersions"/>. One more is refused with <see cref="ChatConflictException"/>.
    /// </summary>
    public int MaxVersions { get; set; } = ChatPersistenceLimits.DefaultMaxVersions;
}
