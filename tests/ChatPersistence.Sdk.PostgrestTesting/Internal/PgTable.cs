namespace ChatPersistence.Sdk.PostgrestTesting.Internal;

/// <summary>
/// A table or view in the schema cache, with its schema, columns and their types, and its primary key columns (PostgREST's
/// upsert conflict target when the request names none: Plan.hs <c>confCols = fromMaybe pkCols qsOnConflict</c>).
/// </summary>
internal sealed record PgTable(string Schema, string Name, IReadOnlyDictionary<string, string> Columns, IReadOnlyList<string> PrimaryKey);
