namespace ChatPersistence.Sdk.Supabase.Tests;

/// <summary>
/// A project hardened as Supabase's "Hardening the Data API" guide suggests: another schema (<c>api</c>) exposed first, so
/// a client that sends no profile header would call the wrong schema; the store sends <c>Content-Profile: public</c>.
/// </summary>
public sealed class SupabaseHardenedSchemaFixture : SupabaseFixture
{
    protected override bool UserMode => true;

    protected override IReadOnlyList<string> ExposedSchemas => ["api", "public"];

    protected override Task PrepareAsync(Npgsql.NpgsqlDataSource admin) => ApiSchema.CreateEmptyAsync(admin);

    public override bool IsPartialRun => true;
}
