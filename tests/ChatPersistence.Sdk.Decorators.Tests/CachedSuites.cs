using ChatPersistence.Sdk.ConformanceTests;

namespace ChatPersistence.Sdk.Decorators.Tests;

public sealed class CachedSessionTests(CachedSqliteFixture fixture) : SessionSuite<CachedSqliteFixture>(fixture);

public sealed class CachedAppendTests(CachedSqliteFixture fixture) : AppendSuite<CachedSqliteFixture>(fixture);

public sealed class CachedHistoryTests(CachedSqliteFixture fixture) : HistorySuite<CachedSqliteFixture>(fixture);

public sealed class CachedContentTests(CachedSqliteFixture fixture) : ContentSuite<CachedSqliteFixture>(fixture);

public sealed class CachedValidationTests(CachedSqliteFixture fixture) : ValidationSuite<CachedSqliteFixture>(fixture);

public sealed class CachedConcurrencyTests(CachedSqliteFixture fixture) : ConcurrencySuite<CachedSqliteFixture>(fixture);

public sealed class CachedIsolationTests(CachedSqliteFixture fixture) : IsolationSuite<CachedSqliteFixture>(fixture);

public sealed class CachedSearchTests(CachedSqliteFixture fixture) : SearchSuite<CachedSqliteFixture>(fixture);

public sealed class CachedFavoritesTests(CachedSqliteFixture fixture) : FavoritesSuite<CachedSqliteFixture>(fixture);

public sealed class CachedReplyTests(CachedSqliteFixture fixture) : ReplySuite<CachedSqliteFixture>(fixture);

public sealed class CachedBranchTests(CachedSqliteFixture fixture) : BranchSuite<CachedSqliteFixture>(fixture);

public sealed class CachedLifecycleTests(CachedSqliteFixture fixture) : LifecycleSuite<CachedSqliteFixture>(fixture);

public sealed class CachedRetentionTests(CachedSqliteFixture fixture) : RetentionSuite<CachedSqliteFixture>(fixture);
