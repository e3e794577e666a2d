using ChatPersistence.Sdk.ChangeFeed;
using ChatPersistence.Sdk.ConformanceTests;

namespace ChatPersistence.Sdk.Tests.ChangeFeed;

/// <summary>The in-memory store is one instance: it writes and reports its own changes.</summary>
public sealed class InMemoryFeedFixture : ChangeFeedFixture
{
    private readonly InMemoryChatSessionStore _store = new();

    public override IChatSessionStore Writer => _store;

    public override IChatChangeFeed Feed => _store;

    public override Task InitializeAsync() => Task.CompletedTask;

    public override Task DisposeAsync() => Task.CompletedTask;

    public override Task<string> CreateUserAsync() => Task.FromResult("user-" + Guid.NewGuid().ToString("N"));
}
