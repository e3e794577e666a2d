namespace ChatPersistence.Sdk;

/// <summary>
/// A validated piece of a reply's text, as <see cref="ChatSessionStore"/> hands it to a store's core methods: where it goes,
/// the text as the store keeps it (U+0000 escaped), and its length and size as written (before the escape).
/// </summary>
/// <param name="Offset">Where the text goes, in UTF-16 code units of the reply as written.</param>
/// <param name="StoredText">The text as the store keeps it (U+0000 escaped, as every message's content is).</param>
/// <param name="Length">The text's length as written, in UTF-16 code units.</param>
/// <param name="Utf8Bytes">The text's size as written, in UTF-8 bytes (what <see cref="ChatPersistenceOptions.MaxContentBytes"/> limits).</param>
public readonly record struct ChatTextChunk(long Offset, string StoredText, int Length, int Utf8Bytes);
