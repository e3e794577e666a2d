using ChatPersistence.Sdk.ConformanceTests;

namespace ChatPersistence.Sdk.Supabase.Tests;

public sealed class SupabaseServiceModeSessionTests(SupabaseServiceModeFixture fixture) : SessionSuite<SupabaseServiceModeFixture>(fixture);

public sealed class SupabaseServiceModeAppendTests(SupabaseServiceModeFixture fixture) : AppendSuite<SupabaseServiceModeFixture>(fixture);

public sealed class SupabaseServiceModeHistoryTests(SupabaseServiceModeFixture fixture) : HistorySuite<SupabaseServiceModeFixture>(fixture);

public sealed class SupabaseServiceModeContentTests(SupabaseServiceModeFixture fixture) : ContentSuite<SupabaseServiceModeFixture>(fixture);

public sealed class SupabaseServiceModeValidationTests(SupabaseServiceModeFixture fixture) : ValidationSuite<SupabaseServiceModeFixture>(fixture);

public sealed class SupabaseServiceModeConcurrencyTests(SupabaseServiceModeFixture fixture) : ConcurrencySuite<SupabaseServiceModeFixture>(fixture);

public sealed class SupabaseServiceModeIsolationTests(SupabaseServiceModeFixture fixture) : IsolationSuite<SupabaseServiceModeFixture>(fixture);

public sealed class SupabaseServiceModeSearchTests(SupabaseServiceModeFixture fixture) : SearchSuite<SupabaseServiceModeFixture>(fixture);

public sealed class SupabaseServiceModeFavoritesTests(SupabaseServiceModeFixture fixture) : FavoritesSuite<SupabaseServiceModeFixture>(fixture);

public sealed class SupabaseServiceModeReplyTests(SupabaseServiceModeFixture fixture) : ReplySuite<SupabaseServiceModeFixture>(fixture);

public sealed class SupabaseServiceModeBranchTests(SupabaseServiceModeFixture fixture) : BranchSuite<SupabaseServiceModeFixture>(fixture);

public sealed class SupabaseServiceModeLifecycleTests(SupabaseServiceModeFixture fixture) : LifecycleSuite<SupabaseServiceModeFixture>(fixture);

public sealed class SupabaseServiceModeRetentionTests(SupabaseServiceModeFixture fixture) : RetentionSuite<SupabaseServiceModeFixture>(fixture);

public sealed class SupabaseUserModeSessionTests(SupabaseUserModeFixture fixture) : SessionSuite<SupabaseUserModeFixture>(fixture);

public sealed class SupabaseUserModeAppendTests(SupabaseUserModeFixture fixture) : AppendSuite<SupabaseUserModeFixture>(fixture);

public sealed class SupabaseUserModeHistoryTests(SupabaseUserModeFixture fixture) : HistorySuite<SupabaseUserModeFixture>(fixture);

public sealed class SupabaseUserModeContentTests(SupabaseUserModeFixture fixture) : ContentSuite<SupabaseUserModeFixture>(fixture);

public sealed class SupabaseUserModeValidationTests(SupabaseUserModeFixture fixture) : ValidationSuite<SupabaseUserModeFixture>(fixture);

public sealed class SupabaseUserModeConcurrencyTests(SupabaseUserModeFixture fixture) : ConcurrencySuite<SupabaseUserModeFixture>(fixture);

public sealed class SupabaseUserModeIsolationTests(SupabaseUserModeFixture fixture) : IsolationSuite<SupabaseUserModeFixture>(fixture);

public sealed class SupabaseUserModeSearchTests(SupabaseUserModeFixture fixture) : SearchSuite<SupabaseUserModeFixture>(fixture);

public sealed class SupabaseUserModeFavoritesTests(SupabaseUserModeFixture fixture) : FavoritesSuite<SupabaseUserModeFixture>(fixture);

public sealed class SupabaseUserModeReplyTests(SupabaseUserModeFixture fixture) : ReplySuite<SupabaseUserModeFixture>(fixture);

public sealed class SupabaseUserModeBranchTests(SupabaseUserModeFixture fixture) : BranchSuite<SupabaseUserModeFixture>(fixture);

public sealed class SupabaseUserModeLifecycleTests(SupabaseUserModeFixture fixture) : LifecycleSuite<SupabaseUserModeFixture>(fixture);

public sealed class SupabaseUserModeRetentionTests(SupabaseUserModeFixture fixture) : RetentionSuite<SupabaseUserModeFixture>(fixture);

// Legacy projects (anon / service_role JWT keys, HS256 user tokens): a smaller run keeps them covered.
public sealed class SupabaseLegacyUserModeSessionTests(SupabaseLegacyUserModeFixture fixture) : SessionSuite<SupabaseLegacyUserModeFixture>(fixture);

public sealed class SupabaseLegacyUserModeAppendTests(SupabaseLegacyUserModeFixture fixture) : AppendSuite<SupabaseLegacyUserModeFixture>(fixture);

public sealed class SupabaseLegacyUserModeIsolationTests(SupabaseLegacyUserModeFixture fixture) : IsolationSuite<SupabaseLegacyUserModeFixture>(fixture);

public sealed class SupabaseLegacyServiceModeSessionTests(SupabaseLegacyServiceModeFixture fixture) : SessionSuite<SupabaseLegacyServiceModeFixture>(fixture);

public sealed class SupabaseLegacyServiceModeAppendTests(SupabaseLegacyServiceModeFixture fixture) : AppendSuite<SupabaseLegacyServiceModeFixture>(fixture);

public sealed class SupabaseLegacyServiceModeRetentionTests(SupabaseLegacyServiceModeFixture fixture) : RetentionSuite<SupabaseLegacyServiceModeFixture>(fixture);

// Hardened projects: public exposed but not first; or the chat functions exposed from schema api only.
public sealed class SupabaseHardenedSchemaHistoryTests(SupabaseHardenedSchemaFixture fixture) : HistorySuite<SupabaseHardenedSchemaFixture>(fixture);

public sealed class SupabaseHardenedSchemaSearchTests(SupabaseHardenedSchemaFixture fixture) : SearchSuite<SupabaseHardenedSchemaFixture>(fixture);

public sealed class SupabaseApiSchemaSessionTests(SupabaseApiSchemaFixture fixture) : SessionSuite<SupabaseApiSchemaFixture>(fixture);

public sealed class SupabaseApiSchemaAppendTests(SupabaseApiSchemaFixture fixture) : AppendSuite<SupabaseApiSchemaFixture>(fixture);

public sealed class SupabaseApiSchemaHistoryTests(SupabaseApiSchemaFixture fixture) : HistorySuite<SupabaseApiSchemaFixture>(fixture);

public sealed class SupabaseApiSchemaFavoritesTests(SupabaseApiSchemaFixture fixture) : FavoritesSuite<SupabaseApiSchemaFixture>(fixture);

public sealed class SupabaseApiSchemaReplyTests(SupabaseApiSchemaFixture fixture) : ReplySuite<SupabaseApiSchemaFixture>(fixture);

public sealed class SupabaseApiSchemaBranchTests(SupabaseApiSchemaFixture fixture) : BranchSuite<SupabaseApiSchemaFixture>(fixture);
