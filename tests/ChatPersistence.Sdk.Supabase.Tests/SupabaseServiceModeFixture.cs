namespace ChatPersistence.Sdk.Supabase.Tests;

/// <summary>Service mode: the service-role key, explicit user ids.</summary>
public sealed class SupabaseServiceModeFixture : SupabaseFixture
{
    protected override bool UserMode => false;
}
