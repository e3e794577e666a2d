namespace ChatPersistence.Sdk.Supabase.Tests;

/// <summary>User mode on a legacy project: the anon JWT key and HS256 access tokens signed with the project's JWT secret.</summary>
public sealed class SupabaseLegacyUserModeFixture : SupabaseFixture
{
    protected override bool UserMode => true;

    protected override bool LegacyKeys => true;

    public override bool IsPartialRun => true;
}
