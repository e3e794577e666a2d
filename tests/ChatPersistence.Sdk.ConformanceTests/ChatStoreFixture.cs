using Xunit;

namespace ChatPersistence.Sdk.ConformanceTests;

/// <summary>
/// What a store's test project provides to the conformance suite: a running store (real files, a real server) and users.
/// Subclass it once per store configuration and pass the subclass to every suite (see <see cref="ConformanceSuite{TFixture}"/>).
/// </summary>
/// <remarks>
/// The backing storage is shared by the tests of a fixture, which run in parallel: every test creates its own users with
/// <see cref="CreateUserAsync"/>, so tests never see each other's data. A missing server must fail loudly in
/// <see cref="InitializeAsync"/> with a message that says what to install, never skip.
/// </remarks>
public abstract class ChatStoreFixture : IAsyncLifetime
{
    /// <summary>The options the fixture's stores were created with (limit tests read them).</summary>
    public virtual ChatPersistenceOptions Options { get; } = new();

    /// <summary>
    /// Whether a store instance acts for one signed-in user and rejects other user ids with <see cref="ChatAccessDeniedException"/>
    /// (Supabase user mode), instead of serving any user id (in-memory, SQLite, PostgreSQL, Supabase service mode).
    /// </summary>
    public virtual bool StoresAreUserScoped => false;

    /// <summary>
    /// Whether this fixture deliberately runs only some suites (a second configuration of a store whose main fixture runs
    /// them all, e.g. legacy keys or another schema); the main fixture must still run every suite.
    /// </summary>
    public virtual bool IsPartialRun => false;

    /// <summary>Starts what the store needs (server, files). Throws with an explanatory message when it cannot.</summary>
    /// <returns>A task.</returns>
    public abstract Task InitializeAsync();

    /// <summary>Stops servers and removes files.</summary>
    /// <returns>A task.</returns>
    public abstract Task DisposeAsync();

    /// <summary>Creates a new user that the store accepts (e.g. a uuid with an <c>auth.users</c> row) and returns its id.</summary>
    /// <returns>The new user's id.</returns>
    public abstract Task<string> CreateUserAsync();

    /// <summary>Returns the store acting for <paramref name="userId"/> (the same instance for stores that serve any user).</summary>
    /// <param name="userId">A user created with <see cref="CreateUserAsync"/>.</param>
    /// <returns>The store.</returns>
    public abstract IChatSessionStore StoreFor(string userId);

    /// <summary>A store allowed to run retention (<see cref="IChatSessionStore.DeleteIdleSessionsAsync"/>): the service role.</summary>
    public abstract IChatSessionStore AdminStore { get; }

    /// <summary>
    /// Returns a store with other <see cref="ChatPersistenceOptions"/> over the same storage, acting for <paramref name="userId"/>
    /// (limit tests use it).
    /// </summary>
    /// <param name="userId">A user created with <see cref="CreateUserAsync"/>.</param>
    /// <param name="options">The options.</param>
    /// <returns>The store.</returns>
    public abstract IChatSessionStore CreateStoreWithOptions(string userId, ChatPersistenceOptions options);
}
