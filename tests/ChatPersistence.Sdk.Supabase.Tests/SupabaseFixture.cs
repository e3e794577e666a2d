using System.Collections.Concurrent;
using ChatPersistence.Sdk.ConformanceTests;

namespace ChatPersistence.Sdk.Supabase.Tests;

/// <summary>
/// The Supabase store over HTTP through the PostgREST-compatible test server on a real PostgreSQL. Subclasses choose
/// service mode (the service-role key, explicit user ids) or user mode (one access token per user; RLS decides).
/// </summary>
public abstract class SupabaseFixture : ChatStoreFixture
{
    private readonly ConcurrentDictionary<string, SupabaseChatSessionStore> _userStores = new();
    private SupabaseChatSessionStore? _service;

    public SupabaseEnvironment Environment { get; private set; } = null!;

    protected abstract bool UserMode { get; }

    /// <summary>Whether the legacy JWT API keys and HS256 user tokens are used instead of sb_ keys and ES256 tokens.</summary>
    protected virtual bool LegacyKeys => false;

    /// <summary>The schemas the test server exposes, in order.</summary>
    protected virtual IReadOnlyList<string> ExposedSchemas => ["public", "graphql_public"];

    /// <summary>The schema the store calls (its <c>Schema</c> option).</summary>
    protected virtual string Schema => "public";

    /// <summary>Runs against the database (as a superuser) before the test server loads its schema cache.</summary>
    protected virtual Task PrepareAsync(Npgsql.NpgsqlDataSource admin) => Task.CompletedTask;

    public override bool StoresAreUserScoped => UserMode;

    public override IChatSessionStore AdminStore => _service!;

    public override async Task InitializeAsync()
    {
        Environment = await SupabaseEnvironment.StartAsync(exposedSchemas: ExposedSchemas, prepare: PrepareAsync);
        _service = new SupabaseChatSessionStore(Environment.Http, Environment.ServiceOptions(LegacyKeys, Schema));
    }

    public override async Task DisposeAsync()
    {
        if (Environment is not null)
        {
            await Environment.DisposeAsync();
        }
    }

    public override async Task<string> CreateUserAsync() => (await Environment.CreateUserAsync()).ToString();

    public override IChatSessionStore StoreFor(string userId) =>
        UserMode ? _userStores.GetOrAdd(userId, id => new SupabaseChatSessionStore(Environment.Http, Environment.UserOptions(Guid.Parse(id), LegacyKeys, Schema))) : _service!;

    public override IChatSessionStore CreateStoreWithOptions(string userId, ChatPersistenceOptions options) =>
        new SupabaseChatSessionStore(Environment.Http, UserMode ? Environment.UserOptions(Guid.Parse(userId), LegacyKeys, Schema) : Environment.ServiceOptions(LegacyKeys, Schema), options);
}
