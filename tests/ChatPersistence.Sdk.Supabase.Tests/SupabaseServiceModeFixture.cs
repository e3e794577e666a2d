namespace ChatPersistence.Sdk.Supabase.Tests;

/// <summary>Service mode as new projects run it: the secret key (<c>sb_secret_…</c>), explicit user ids.</summary>
public sealed class SupabaseServiceModeFixture : SupabaseFixture
{
    protected override bool UserMode => false;
}
