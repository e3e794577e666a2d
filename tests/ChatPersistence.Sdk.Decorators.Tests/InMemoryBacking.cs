namespace ChatPersistence.Sdk.Decorators.Tests;

public sealed class InMemoryBacking : BackingStore
{
    private readonly InMemoryChatSessionStore _store = new();

    // In-memory storage lives in the instance, so "another host" shares it.
    public override IChatSessionStore OpenStore() => _store;

    public override Task<string> NewUserAsync() => Task.FromResult("user-" + Guid.NewGuid().ToString("N"));

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
