using ChatPersistence.Sdk.ConformanceTests;

namespace ChatPersistence.Sdk.Postgres.Tests.ChangeFeed;

public sealed class PostgresChangeFeedTests(PostgresFeedFixture fixture) : ChangeFeedSuite<PostgresFeedFixture>(fixture);
