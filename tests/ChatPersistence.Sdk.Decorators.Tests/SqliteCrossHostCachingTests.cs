using ChatPersistence.Sdk.ChangeFeed;
using ChatPersistence.Sdk.Sqlite;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace ChatPersistence.Sdk.Decorators.Tests;

public sealed class SqliteCrossHostCachingTests(ITestOutputHelper output) : CrossHostCachingTests(output)
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chatpersistence-crosshost-" + Guid.NewGuid().ToString("N"));

    public override Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        return base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    protected override Task<string> NewUserAsync() => Task.FromResult("user-" + Guid.NewGuid().ToString("N"));

    protected override (IChatSessionStore Store, IChatChangeFeed Feed) OpenStore()
    {
        var store = new SqliteChatSessionStore(new SqliteChatStoreOptions
        {
            Path = Path.Combine(_folder, "chat.db"),
            ChangeFeedPollInterval = TimeSpan.FromMilliseconds(50),
        });
        return (store, store);
    }
}
