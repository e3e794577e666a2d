using Xunit;

namespace ChatPersistence.Sdk.FaultTests;

/// <summary>The fault tests share one private cluster and run one at a time (a restart affects every connection).</summary>
[CollectionDefinition(nameof(PrivateClusterTests), DisableParallelization = true)]
public sealed class PrivateClusterTests : ICollectionFixture<PrivateCluster>;
