using ChatPersistence.Sdk.ConformanceTests;

namespace ChatPersistence.Sdk.Tests.Conformance;

/// <summary>The in-memory store under the conformance suite: one store per fixture instance.</summary>
public sealed class InMemoryFixture : ChatStoreFixture
{
    private readonly InMemoryChatSessionStore _store = new();

    public override IChatSessionStore AdminStore => _store;

    public override Task InitializeAsync() => Task.CompletedTask;

    public override Task DisposeAsync() => Task.CompletedTask;

    public override Task<string> CreateUserAsync() => Task.FromResult("user-" + Guid.NewGuid().ToString("N"));

    public override IChatSessionStore StoreFor(string userId) => _store;

    // The in-memory store keeps its data in the instance, so a store "with other options over the same storage" is a
    // validating front over the same instance: validation happens in the front, storage in the shared store.
    public override IChatSessionStore CreateStoreWithOptions(string userId, ChatPersistenceOptions options) =>
        new ValidatingFront(options, _store);
}
