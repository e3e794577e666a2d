using Xunit;

namespace ChatPersistence.Sdk.PackageTests;

/// <summary>The tests that share one packed feed (packing every package takes a minute: once per run).</summary>
[CollectionDefinition(Name)]
public sealed class PackedFeedGroup : ICollectionFixture<PackedFeed>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "packed feed";
}
