namespace ChatPersistence.Sdk.Postgres;

/// <summary>One versioned, idempotent SQL migration of the chat schema.</summary>
/// <param name="Version">The version, applied in ascending order.</param>
/// <param name="Name">The file name, e.g. <c>0001_chat_persistence.sql</c>.</param>
/// <param name="Sql">The script. Idempotent: applying it again is a no-op.</param>
public sealed record ChatPersistenceMigration(int Version, string Name, string Sql);
