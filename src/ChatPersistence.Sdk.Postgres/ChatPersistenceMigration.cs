namespace ChatPersistence.Sdk.Postgres;

/// <summary>One versioned, idempotent SQL migration of the chat schema.</summary>
/// <param name="Version">The migration's place in the order they are applied: 1 for the first.</param>
/// <param name="Name">The file name, a Supabase CLI timestamp first, e.g. <c>20261201000000_chat_persistence.sql</c>.</param>
/// <param name="Sql">The script. Idempotent: applying it again is a no-op.</param>
public sealed record ChatPersistenceMigration(int Version, string Name, string Sql);
