using ChatPersistence.Sdk.PostgresTesting;
using Xunit;

namespace ChatPersistence.Sdk.FaultTests;

/// <summary>A PostgreSQL cluster private to the fault tests (restarted by them).</summary>
public sealed class PrivateCluster : IAsyncLifetime
{
    public PostgresCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await PostgresCluster.StartPrivateAsync();

    public Task DisposeAsync() => Task.CompletedTask;
}
