using ChatPersistence.Sdk.ChangeFeed;
using ChatPersistence.Sdk.ConformanceTests;
using Microsoft.Data.Sqlite;

namespace ChatPersistence.Sdk.Sqlite.Tests;

/// <summary>
/// Two store instances over one file: one writes, the other's feed sees those writes only by polling the change log
/// (as another process would).
/// </summary>
public sealed class SqliteFeedFixture : ChangeFeedFixture, IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chatpersistence-sqlite-feed-" + Guid.NewGuid().ToString("N"));
    private SqliteChatSessionStore? _writer;
    private SqliteChatSessionStore? _reader;

    public string DatabasePath => Path.Combine(_folder, "chat.db");

    public override IChatSessionStore Writer => _writer!;

    public override IChatChangeFeed Feed => _reader!;

    public override Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        var options = new SqliteChatStoreOptions { Path = DatabasePath, ChangeFeedPollInterval = TimeSpan.FromMilliseconds(50) };
        _writer = new SqliteChatSessionStore(options);
        _reader = new SqliteChatSessionStore(options);
        return Task.CompletedTask;
    }

    public override async Task DisposeAsync()
    {
        if (_writer is not null)
        {
            await _writer.DisposeAsync();
        }

        if (_reader is not null)
        {
            await _reader.DisposeAsync();
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
        _writer?.Dispose();
        _reader?.Dispose();
    }

    public override Task<string> CreateUserAsync() => Task.FromResult("user-" + Guid.NewGuid().ToString("N"));
}
