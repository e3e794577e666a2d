namespace ChatPersistence.Sdk.PostgrestTesting;

/// <summary>How the PostgREST-compatible test server is set up.</summary>
public sealed class PostgrestTestServerOptions
{
    /// <summary>
    /// The database to serve. The server connects as <see cref="LoginRole"/> (PostgREST's "authenticator") and switches
    /// to the request's role in each transaction.
    /// </summary>
    public required string ConnectionString { get; init; }

    /// <summary>The login role (Supabase: <c>authenticator</c>), a member of anon, authenticated and service_role.</summary>
    public string LoginRole { get; init; } = "authenticator";

    /// <summary>The legacy JWT secret (HS256). Default: a fixed test secret of 40 characters.</summary>
    public string JwtSecret { get; init; } = "super-secret-jwt-token-for-tests-only-40c";

    /// <summary>PostgREST's <c>db-max-rows</c> (Supabase's "Max rows", default 1000): responses are cut to this many rows.</summary>
    public int MaxRows { get; init; } = 1000;

    /// <summary>The anonymous role (<c>db-anon-role</c>).</summary>
    public string AnonRole { get; init; } = "anon";

    /// <summary>
    /// PostgREST's <c>db-schemas</c> (Supabase's "Exposed schemas"), in order: a request without a profile header uses the
    /// first; a profile outside the list is refused with 406 PGRST106; with more than one, answers carry
    /// <c>Content-Profile</c>. Default: Supabase's, <c>public, graphql_public</c> (the Supabase CLI's config.toml
    /// <c>[api] schemas</c> default, as in this repository's supabase/config.toml; self-hosting's docker/.env.example
    /// <c>PGRST_DB_SCHEMAS</c> also lists <c>storage</c>).
    /// </summary>
    public IReadOnlyList<string> ExposedSchemas { get; init; } = ["public", "graphql_public"];

    /// <summary>Whether to keep every request for later inspection (<see cref="PostgrestTestServer.Requests"/>).</summary>
    public bool RecordRequests { get; init; }
}
