using ChatPersistence.Sdk.ConformanceTests;

namespace ChatPersistence.Sdk.Sqlite.Tests;

public sealed class SqliteSessionTests(SqliteFixture fixture) : SessionSuite<SqliteFixture>(fixture);

public sealed class SqliteAppendTests(SqliteFixture fixture) : AppendSuite<SqliteFixture>(fixture);

public sealed class SqliteHistoryTests(SqliteFixture fixture) : HistorySuite<SqliteFixture>(fixture);

public sealed class SqliteContentTests(SqliteFixture fixture) : ContentSuite<SqliteFixture>(fixture);

public sealed class SqliteValidationTests(SqliteFixture fixture) : ValidationSuite<SqliteFixture>(fixture);

public sealed class SqliteConcurrencyTests(SqliteFixture fixture) : ConcurrencySuite<SqliteFixture>(fixture);

public sealed class SqliteIsolationTests(SqliteFixture fixture) : IsolationSuite<SqliteFixture>(fixture);

public sealed class SqliteSearchTests(SqliteFixture fixture) : SearchSuite<SqliteFixture>(fixture);

public sealed class SqliteFavoritesTests(SqliteFixture fixture) : FavoritesSuite<SqliteFixture>(fixture);

public sealed class SqliteReplyTests(SqliteFixture fixture) : ReplySuite<SqliteFixture>(fixture);

public sealed class SqliteBranchTests(SqliteFixture fixture) : BranchSuite<SqliteFixture>(fixture);

public sealed class SqliteLifecycleTests(SqliteFixture fixture) : LifecycleSuite<SqliteFixture>(fixture);

public sealed class SqliteRetentionTests(SqliteFixture fixture) : RetentionSuite<SqliteFixture>(fixture);
