namespace ChatPersistence.Sdk.Supabase.Tests;

/// <summary>User mode as new projects run it: the publishable key plus one user's ES256 access token per store; RLS decides.</summary>
public sealed class SupabaseUserModeFixture : SupabaseFixture
{
    protected override bool UserMode => true;
}
