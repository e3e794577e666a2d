using ChatPersistence.Sdk;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>The server in memory (TestServer), in development-token mode, on its own SQLite file.</summary>
public sealed class ServerFactory : WebApplicationFactory<Program>
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chat-server-tests-" + Guid.NewGuid().ToString("N"));

    public ServerFactory() => Directory.CreateDirectory(_folder);

    public string DatabasePath => Path.Combine(_folder, "chat.db");

    public IChatSessionStore Store => Services.GetRequiredService<IChatSessionStore>();

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("ChatPersistence:Sqlite:Path", DatabasePath);
        builder.UseSetting("Chat:OfflineWordDelay", "00:00:00");
        builder.UseSetting("Chat:MaxFrameBytes", "4096");
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
