using ChatPersistence.Sdk.ConformanceTests;

namespace ChatPersistence.Sdk.Tests.Conformance;

public sealed class InMemorySessionTests(InMemoryFixture fixture) : SessionSuite<InMemoryFixture>(fixture);

public sealed class InMemoryAppendTests(InMemoryFixture fixture) : AppendSuite<InMemoryFixture>(fixture);

public sealed class InMemoryHistoryTests(InMemoryFixture fixture) : HistorySuite<InMemoryFixture>(fixture);

public sealed class InMemoryContentTests(InMemoryFixture fixture) : ContentSuite<InMemoryFixture>(fixture);

public sealed class InMemoryValidationTests(InMemoryFixture fixture) : ValidationSuite<InMemoryFixture>(fixture);

public sealed class InMemoryConcurrencyTests(InMemoryFixture fixture) : ConcurrencySuite<InMemoryFixture>(fixture);

public sealed class InMemoryIsolationTests(InMemoryFixture fixture) : IsolationSuite<InMemoryFixture>(fixture);

public sealed class InMemorySearchTests(InMemoryFixture fixture) : SearchSuite<InMemoryFixture>(fixture);

public sealed class InMemoryFavoritesTests(InMemoryFixture fixture) : FavoritesSuite<InMemoryFixture>(fixture);

public sealed class InMemoryReplyTests(InMemoryFixture fixture) : ReplySuite<InMemoryFixture>(fixture);

public sealed class InMemoryBranchTests(InMemoryFixture fixture) : BranchSuite<InMemoryFixture>(fixture);

public sealed class InMemoryLifecycleTests(InMemoryFixture fixture) : LifecycleSuite<InMemoryFixture>(fixture);

public sealed class InMemoryRetentionTests(InMemoryFixture fixture) : RetentionSuite<InMemoryFixture>(fixture);
