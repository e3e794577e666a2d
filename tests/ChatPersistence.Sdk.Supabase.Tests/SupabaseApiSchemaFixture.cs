namespace ChatPersistence.Sdk.Supabase.Tests;

/// <summary>
/// The chat functions exposed from another schema only: <c>public</c> is not exposed at all and schema <c>api</c> holds
/// SECURITY INVOKER wrappers of the chat functions (the pattern Supabase's hardening guide describes); the store is set to
/// <c>Schema = "api"</c>.
/// </summary>
public sealed class SupabaseApiSchemaFixture : SupabaseFixture
{
    protected override bool UserMode => true;

    protected override IReadOnlyList<string> ExposedSchemas => ["api"];

    protected override string Schema => "api";

    protected override Task PrepareAsync(Npgsql.NpgsqlDataSource admin) => ApiSchema.CreateWithChatWrappersAsync(admin);

    public override bool IsPartialRun => true;
}
