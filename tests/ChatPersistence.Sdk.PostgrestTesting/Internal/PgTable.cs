namespace ChatPersistence.Sdk.PostgrestTesting.Internal;

/// <summary>A table or view in the schema cache, with its columns and their types.</summary>
internal sealed record PgTable(string Name, IReadOnlyDictionary<string, string> Columns);
