namespace ChatPersistence.Sdk.Postgres.Tests;

/// <summary>Service mode: the owner connection passes user ids explicitly.</summary>
public sealed class ServiceModeFixture : PostgresFixture
{
    protected override bool ActAsAuthenticatedUser => false;
}
