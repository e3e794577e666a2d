namespace ChatPersistence.Sdk.Supabase.Tests;

/// <summary>User mode: the anon key plus one user's access token per store; Row Level Security decides.</summary>
public sealed class SupabaseUserModeFixture : SupabaseFixture
{
    protected override bool UserMode => true;
}
