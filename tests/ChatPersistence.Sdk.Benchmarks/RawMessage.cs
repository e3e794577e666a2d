namespace ChatPersistence.Sdk.Benchmarks;

/// <summary>A message as a hand-written query would hand it on: every column read, metadata left as JSON text.</summary>
public sealed record RawMessage(Guid Id, Guid SessionId, long Seq, string Role, string Content, string Metadata, DateTimeOffset CreatedAt, bool IsFavorite);
