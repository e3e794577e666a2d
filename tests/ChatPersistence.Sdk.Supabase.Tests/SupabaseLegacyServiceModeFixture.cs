namespace ChatPersistence.Sdk.Supabase.Tests;

/// <summary>Service mode on a legacy project: the service_role JWT key as apikey and bearer.</summary>
public sealed class SupabaseLegacyServiceModeFixture : SupabaseFixture
{
    protected override bool UserMode => false;

    protected override bool LegacyKeys => true;

    public override bool IsPartialRun => true;
}
