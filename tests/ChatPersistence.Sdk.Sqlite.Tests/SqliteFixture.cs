using ChatPersistence.Sdk.ConformanceTests;
using Microsoft.Data.Sqlite;

namespace ChatPersistence.Sdk.Sqlite.Tests;

/// <summary>A real SQLite file in a temporary folder per fixture instance.</summary>
public class SqliteFixture : ChatStoreFixture, IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chatpersistence-sqlite-" + Guid.NewGuid().ToString("N"));
    private SqliteChatSessionStore? _store;

    public string DatabasePath => Path.Combine(_folder, "chat.db");

    public override IChatSessionStore AdminStore => Store;

    private SqliteChatSessionStore Store => _store ?? throw new InvalidOperationException("The fixture is not initialised.");

    public override Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        _store = Configure(new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = DatabasePath }));
        return Task.CompletedTask;
    }

    public override async Task DisposeAsync()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A pooled handle may linger on some platforms; the temp folder is cleaned by the OS.
        }
    }

    /// <summary>Disposes the stores (xunit calls it after <see cref="DisposeAsync"/>; disposing twice is harmless).</summary>
    public void Dispose()
    {
        _store?.Dispose();
        GC.SuppressFinalize(this);
    }

    public override Task<string> CreateUserAsync() => Task.FromResult("user-" + Guid.NewGuid().ToString("N"));

    public override IChatSessionStore StoreFor(string userId) => Store;

    public override IChatSessionStore CreateStoreWithOptions(string userId, ChatPersistenceOptions options) =>
        Configure(new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = DatabasePath }, options));

    /// <summary>A store of this fixture with its internal settings (none by default).</summary>
    internal virtual SqliteChatSessionStore Configure(SqliteChatSessionStore store) => store;
}
