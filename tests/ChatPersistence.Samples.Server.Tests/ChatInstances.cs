using ChatPersistence.Sdk.PostgresTesting;
using Npgsql;
using Xunit;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// Two chat server processes on one PostgreSQL database (a fresh migrated database of the tests' throwaway cluster), as two
/// instances behind a load balancer: Production environment, the same HS256 project secret, so a user's token works on
/// either. One user exists in <c>auth.users</c>; <see cref="Token"/> is theirs.
/// </summary>
public class ChatInstances : IAsyncLifetime
{
    public const string Secret = "two-instances-test-secret-of-at-least-32-characters";
    public const string Issuer = "https://project.example.test/auth/v1";

    private readonly List<ServerProcess> _servers = [];

    public Guid UserId { get; } = Guid.NewGuid();

    public string Token { get; private set; } = "";

    public ServerProcess First => _servers[0];

    public ServerProcess Second => _servers[1];

    /// <summary>Settings added after the common ones (a later value of the same key wins).</summary>
    protected virtual IEnumerable<string> MoreSettings => [];

    public async Task InitializeAsync()
    {
        var cluster = await PostgresCluster.GetAsync();
        var database = await cluster.CreateDatabaseAsync();
        await using (var admin = NpgsqlDataSource.Create(cluster.ConnectionString(database)))
        await using (var insert = admin.CreateCommand($"insert into auth.users (id) values ('{UserId}')"))
        {
            await insert.ExecuteNonQueryAsync(); // the Supabase schema ties sessions to auth.users
        }

        using (var key = TestKey.Hs256(Secret))
        {
            Token = key.Sign(TestKey.Claims(Issuer, UserId));
        }

        string[] settings =
        [
            "--environment", "Production",
            "--ChatPersistence:Store", "Postgres",
            "--ChatPersistence:Postgres:ConnectionString", cluster.OwnerConnectionString(database),
            "--Auth:JwtSecret", Secret,
            "--Auth:Issuer", Issuer,
            "--Chat:OfflineWordDelay", "00:00:00.005",
            "--Limits:SendsPerMinute", "100000",
            "--Limits:DailyMessages", "100000",
            "--Limits:ApiRequestsPerMinute", "100000",
            "--Logging:LogLevel:Default", "Warning",
            .. MoreSettings,
        ];
        var started = await Task.WhenAll(ServerProcess.StartAsync(settings), ServerProcess.StartAsync(settings));
        _servers.AddRange(started);
    }

    public Task DisposeAsync()
    {
        foreach (var server in _servers)
        {
            server.Dispose();
        }

        return Task.CompletedTask;
    }

    /// <summary>Both servers' output, for a failure message.</summary>
    public string Output => string.Join("\n---\n", _servers.Select(s => s.Output));
}
