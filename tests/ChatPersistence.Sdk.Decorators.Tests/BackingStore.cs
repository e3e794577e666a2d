namespace ChatPersistence.Sdk.Decorators.Tests;

/// <summary>Real storage behind the decorators under test: a fresh one per test class instance.</summary>
public abstract class BackingStore : IAsyncDisposable
{
    /// <summary>A store over this storage (each call a new instance, as a second host would have).</summary>
    public abstract IChatSessionStore OpenStore();

    public abstract Task<string> NewUserAsync();

    public abstract ValueTask DisposeAsync();
}
