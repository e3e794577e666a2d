namespace ChatPersistence.Sdk;

/// <summary>
/// The input rules every store enforces, before anything is written. The byte limits for content and metadata have
/// defaults that <see cref="ChatPersistenceOptions"/> can change up to the ceilings below; the rest are fixed.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>User and workflow ids: not empty or white space, no control characters, at most the lengths below.</item>
/// <item>Ids, titles and search queries must not contain U+0000; no text anywhere may contain unpaired UTF-16 surrogates (not
/// representable in UTF-8).</item>
/// <item>Message content and metadata (keys and string values) may contain U+0000, which PostgreSQL cannot keep in <c>text</c> or
/// <c>jsonb</c>: every store writes U+0000 as U+FDD0 U+FDD1 and U+FDD0 as U+FDD0 U+FDD0 (two Unicode noncharacters) and restores
/// them when reading, so what is read is what was appended. Sizes are measured before this escape.</item>
/// <item>Content: not null; may be empty only when the metadata is a non-empty JSON object.</item>
/// <item>Metadata: a JSON object when given.</item>
/// <item>A batch: 1 to <see cref="MaxBatchSize"/> messages with distinct, non-empty ids.</item>
/// </list>
/// </remarks>
public static class ChatPersistenceLimits
{
    /// <summary>The maximum length of a user id, in characters: 128.</summary>
    public const int MaxUserIdLength = 128;

    /// <summary>The maximum length of a workflow id, in characters: 256.</summary>
    public const int MaxWorkflowIdLength = 256;

    /// <summary>The maximum length of a session title, in characters: 256.</summary>
    public const int MaxTitleLength = 256;

    /// <summary>The maximum number of messages in one append: 100.</summary>
    public const int MaxBatchSize = 100;

    /// <summary>
    /// The maximum page size of history and listings: 500. It stays below Supabase's default API row cap (1000) so no
    /// page is ever silently truncated by PostgREST.
    /// </summary>
    public const int MaxPageSize = 500;

    /// <summary>The maximum page size of a search: 100.</summary>
    public const int MaxSearchPageSize = 100;

    /// <summary>The maximum length of a search query, in characters: 500.</summary>
    public const int MaxSearchQueryLength = 500;

    /// <summary>The maximum number of sessions one retention call deletes: 10,000.</summary>
    public const int MaxRetentionBatchSize = 10_000;

    /// <summary>The default maximum size of a message's content, in UTF-8 bytes: 1 MiB.</summary>
    public const int DefaultMaxContentBytes = 1024 * 1024;

    /// <summary>The highest value <see cref="ChatPersistenceOptions.MaxContentBytes"/> accepts, in UTF-8 bytes: 16 MiB.</summary>
    public const int MaxContentBytesCeiling = 16 * 1024 * 1024;

    /// <summary>The default maximum size of a message's metadata, in UTF-8 bytes of compact JSON: 1 MiB (room for a 512 KiB image in base64).</summary>
    public const int DefaultMaxMetadataBytes = 1024 * 1024;

    /// <summary>The highest value <see cref="ChatPersistenceOptions.MaxMetadataBytes"/> accepts, in UTF-8 bytes: 16 MiB.</summary>
    public const int MaxMetadataBytesCeiling = 16 * 1024 * 1024;

    /// <summary>The default of <see cref="ChatPersistenceOptions.MaxVersions"/>.</summary>
    public const int DefaultMaxVersions = 1000;

    /// <summary>The highest <see cref="ChatPersistenceOptions.MaxVersions"/>.</summary>
    public const int MaxVersionsCeiling = 100_000;

    /// <summary>The longest <see cref="ChatReplyFinish.ReasonDetail"/>, in characters.</summary>
    public const int MaxReasonDetailLength = 500;

    /// <summary>The shortest reply lease (<see cref="ChatReplyOptions.Lease"/>, <see cref="NewChatReply.Lease"/>).</summary>
    public static readonly TimeSpan MinReplyLease = TimeSpan.FromSeconds(5);

    /// <summary>The longest reply lease.</summary>
    public static readonly TimeSpan MaxReplyLease = TimeSpan.FromMinutes(10);

    /// <summary>How long a writer has, after a stop was requested, before its reply reads as <see cref="ChatReplyStatus.Stopped"/>.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);
}
