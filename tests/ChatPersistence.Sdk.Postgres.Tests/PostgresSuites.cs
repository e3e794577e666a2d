using ChatPersistence.Sdk.ConformanceTests;

namespace ChatPersistence.Sdk.Postgres.Tests;

public sealed class ServiceModeSessionTests(ServiceModeFixture fixture) : SessionSuite<ServiceModeFixture>(fixture);

public sealed class ServiceModeAppendTests(ServiceModeFixture fixture) : AppendSuite<ServiceModeFixture>(fixture);

public sealed class ServiceModeHistoryTests(ServiceModeFixture fixture) : HistorySuite<ServiceModeFixture>(fixture);

public sealed class ServiceModeContentTests(ServiceModeFixture fixture) : ContentSuite<ServiceModeFixture>(fixture);

public sealed class ServiceModeValidationTests(ServiceModeFixture fixture) : ValidationSuite<ServiceModeFixture>(fixture);

public sealed class ServiceModeConcurrencyTests(ServiceModeFixture fixture) : ConcurrencySuite<ServiceModeFixture>(fixture);

public sealed class ServiceModeIsolationTests(ServiceModeFixture fixture) : IsolationSuite<ServiceModeFixture>(fixture);

public sealed class ServiceModeSearchTests(ServiceModeFixture fixture) : SearchSuite<ServiceModeFixture>(fixture);

public sealed class ServiceModeFavoritesTests(ServiceModeFixture fixture) : FavoritesSuite<ServiceModeFixture>(fixture);

public sealed class ServiceModeReplyTests(ServiceModeFixture fixture) : ReplySuite<ServiceModeFixture>(fixture);

public sealed class ServiceModeBranchTests(ServiceModeFixture fixture) : BranchSuite<ServiceModeFixture>(fixture);

public sealed class ServiceModeLifecycleTests(ServiceModeFixture fixture) : LifecycleSuite<ServiceModeFixture>(fixture);

public sealed class ServiceModeRetentionTests(ServiceModeFixture fixture) : RetentionSuite<ServiceModeFixture>(fixture);

public sealed class UserModeSessionTests(UserModeFixture fixture) : SessionSuite<UserModeFixture>(fixture);

public sealed class UserModeAppendTests(UserModeFixture fixture) : AppendSuite<UserModeFixture>(fixture);

public sealed class UserModeHistoryTests(UserModeFixture fixture) : HistorySuite<UserModeFixture>(fixture);

public sealed class UserModeContentTests(UserModeFixture fixture) : ContentSuite<UserModeFixture>(fixture);

public sealed class UserModeValidationTests(UserModeFixture fixture) : ValidationSuite<UserModeFixture>(fixture);

public sealed class UserModeConcurrencyTests(UserModeFixture fixture) : ConcurrencySuite<UserModeFixture>(fixture);

public sealed class UserModeIsolationTests(UserModeFixture fixture) : IsolationSuite<UserModeFixture>(fixture);

public sealed class UserModeSearchTests(UserModeFixture fixture) : SearchSuite<UserModeFixture>(fixture);

public sealed class UserModeFavoritesTests(UserModeFixture fixture) : FavoritesSuite<UserModeFixture>(fixture);

public sealed class UserModeReplyTests(UserModeFixture fixture) : ReplySuite<UserModeFixture>(fixture);

public sealed class UserModeBranchTests(UserModeFixture fixture) : BranchSuite<UserModeFixture>(fixture);

public sealed class UserModeLifecycleTests(UserModeFixture fixture) : LifecycleSuite<UserModeFixture>(fixture);

public sealed class UserModeRetentionTests(UserModeFixture fixture) : RetentionSuite<UserModeFixture>(fixture);
