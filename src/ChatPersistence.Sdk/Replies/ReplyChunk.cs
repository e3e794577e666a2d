namespace ChatPersistence.Sdk.Internal;

/// <summary>Text handed to one flush: retried with exactly this offset and text until the store acknowledges it.</summary>
/// <param name="Offset">Where the text goes (UTF-16 code units).</param>
/// <param name="Text">Well-formed UTF-16 text.</param>
internal sealed record ReplyChunk(long Offset, string Text);
