using ChatPersistence.Sdk.PostgresTesting;
using Xunit;

namespace ChatPersistence.Sdk.FaultTests;

/// <summary>A PostgreSQL cluster private to the fault tests (restarted by them), stopped and deleted when they are done.</summary>
public sealed class PrivateCluster : IAsyncLifetime
{
    public PostgresCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await PostgresCluster.StartPrivateAsync();

    public async Task DisposeAsync()
    {
        if (Cluster is not null)
        {
            await Cluster.DisposeAsync();
        }
    }
}
