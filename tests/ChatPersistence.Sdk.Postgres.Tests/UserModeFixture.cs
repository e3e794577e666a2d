namespace ChatPersistence.Sdk.Postgres.Tests;

/// <summary>User mode: every call runs as `authenticated` with the user's claims, so Row Level Security decides.</summary>
public sealed class UserModeFixture : PostgresFixture
{
    protected override bool ActAsAuthenticatedUser => true;
}
