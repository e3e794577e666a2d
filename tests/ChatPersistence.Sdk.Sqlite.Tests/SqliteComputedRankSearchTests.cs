using ChatPersistence.Sdk.ConformanceTests;

namespace ChatPersistence.Sdk.Sqlite.Tests;

/// <summary>The search suite against a store that ranks every query itself (<see cref="SqliteComputedRankFixture"/>).</summary>
public sealed class SqliteComputedRankSearchTests(SqliteComputedRankFixture fixture) : SearchSuite<SqliteComputedRankFixture>(fixture);
