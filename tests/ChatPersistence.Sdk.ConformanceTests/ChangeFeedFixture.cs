using ChatPersistence.Sdk.ChangeFeed;
using Xunit;

namespace ChatPersistence.Sdk.ConformanceTests;

/// <summary>
/// What a store's test project provides to the <see cref="ChangeFeedSuite{TFixture}"/>: a store instance that writes and
/// the change feed of another instance over the same storage (another connection, another file handle), so the suite
/// checks what a second host sees.
/// </summary>
public abstract class ChangeFeedFixture : IAsyncLifetime
{
    /// <summary>The store instance that writes.</summary>
    public abstract IChatSessionStore Writer { get; }

    /// <summary>The feed of the other instance.</summary>
    public abstract IChatChangeFeed Feed { get; }

    /// <summary>Starts what the store needs. Throws with an explanatory message when it cannot.</summary>
    /// <returns>A task.</returns>
    public abstract Task InitializeAsync();

    /// <summary>Stops servers and removes files.</summary>
    /// <returns>A task.</returns>
    public abstract Task DisposeAsync();

    /// <summary>Creates a new user that the store accepts.</summary>
    /// <returns>The user id.</returns>
    public abstract Task<string> CreateUserAsync();
}
