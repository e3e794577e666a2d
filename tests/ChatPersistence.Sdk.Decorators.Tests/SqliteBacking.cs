using ChatPersistence.Sdk.Sqlite;
using Microsoft.Data.Sqlite;

namespace ChatPersistence.Sdk.Decorators.Tests;

public sealed class SqliteBacking : BackingStore
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chatpersistence-decorators-" + Guid.NewGuid().ToString("N"));

    public SqliteBacking() => Directory.CreateDirectory(_folder);

    public override IChatSessionStore OpenStore() => new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = Path.Combine(_folder, "chat.db") });

    public override Task<string> NewUserAsync() => Task.FromResult("user-" + Guid.NewGuid().ToString("N"));

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }

        return ValueTask.CompletedTask;
    }
}
