namespace ChatPersistence.Sdk.Postgres;

/// <summary>How the PostgreSQL store connects and whose rights it uses. Bound from <c>ChatPersistence:Postgres</c>.</summary>
public sealed class PostgresChatStoreOptions
{
    /// <summary>The configuration section: <c>ChatPersistence:Postgres</c>.</summary>
    public const string SectionName = "ChatPersistence:Postgres";

    /// <summary>The Npgsql connection string (ignored when a data source is given to <c>UsePostgres</c>).</summary>
    public string? ConnectionString { get; set; }

    /// <summary>
    /// <see langword="false"/> (the default): service mode — calls run with the connection's own role (the owner or
    /// <c>service_role</c>), which passes the user id explicitly. <see langword="true"/>: user mode — every call runs in a
    /// transaction as the <c>authenticated</c> role with the user's id in <c>request.jwt.claims</c>, exactly as PostgREST
    /// runs a signed-in user's request, so Row Level Security decides. The login role must be a member of <c>authenticated</c>.
    /// </summary>
    public bool ActAsAuthenticatedUser { get; set; }
}
