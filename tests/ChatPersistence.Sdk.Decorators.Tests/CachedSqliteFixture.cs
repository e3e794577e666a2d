using ChatPersistence.Sdk.ConformanceTests;
using ChatPersistence.Sdk.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace ChatPersistence.Sdk.Decorators.Tests;

/// <summary>
/// The whole conformance suite through the caching decorator (with telemetry and logging outside it) over a real SQLite
/// file: the decorators must not change any behaviour the contract defines.
/// </summary>
public sealed class CachedSqliteFixture : ChatStoreFixture
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chatpersistence-cached-" + Guid.NewGuid().ToString("N"));
    private readonly List<ServiceProvider> _providers = [];
    private IChatSessionStore? _store;

    public override IChatSessionStore AdminStore => _store!;

    private string DatabasePath => Path.Combine(_folder, "chat.db");

    public override Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        _store = Build(new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = DatabasePath }));
        return Task.CompletedTask;
    }

    public override async Task DisposeAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public override Task<string> CreateUserAsync() => Task.FromResult("user-" + Guid.NewGuid().ToString("N"));

    public override IChatSessionStore StoreFor(string userId) => _store!;

    public override IChatSessionStore CreateStoreWithOptions(string userId, ChatPersistenceOptions options) =>
        Build(new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = DatabasePath }, options));

    private IChatSessionStore Build(IChatSessionStore inner)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddChatPersistence().UseLogging().UseTelemetry().UseCaching().UseStore(_ => inner);
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return provider.GetRequiredService<IChatSessionStore>();
    }
}
