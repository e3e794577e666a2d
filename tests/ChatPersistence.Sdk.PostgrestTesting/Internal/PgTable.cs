namespace ChatPersistence.Sdk.PostgrestTesting.Internal;

/// <summary>A table or view in the schema cache, with its schema, columns and their types.</summary>
internal sealed record PgTable(string Schema, string Name, IReadOnlyDictionary<string, string> Columns);
