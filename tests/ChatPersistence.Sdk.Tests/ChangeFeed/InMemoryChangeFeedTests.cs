using ChatPersistence.Sdk.ConformanceTests;

namespace ChatPersistence.Sdk.Tests.ChangeFeed;

public sealed class InMemoryChangeFeedTests(InMemoryFeedFixture fixture) : ChangeFeedSuite<InMemoryFeedFixture>(fixture);
