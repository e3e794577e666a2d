using ChatPersistence.Sdk.PostgresTesting;
using ChatPersistence.Sdk.PostgrestTesting;
using Npgsql;

namespace ChatPersistence.Sdk.Supabase.Tests;

/// <summary>
/// A fresh database (Supabase auth shim + ChatPersistence migrations) on the throwaway PostgreSQL cluster, with the
/// PostgREST-compatible test server in front of it. Each instance owns its database and server.
/// </summary>
public sealed class SupabaseEnvironment : IAsyncDisposable
{
    private SupabaseEnvironment(PostgresCluster cluster, string database, NpgsqlDataSource admin, PostgrestTestServer server)
    {
        Cluster = cluster;
        Database = database;
        Admin = admin;
        Server = server;
    }

    public PostgresCluster Cluster { get; }

    public string Database { get; }

    /// <summary>A superuser connection to the database, for setting up and checking data behind the API's back.</summary>
    public NpgsqlDataSource Admin { get; }

    public PostgrestTestServer Server { get; }

    /// <summary>A plain client (no retries) for stores and raw requests.</summary>
    public HttpClient Http { get; } = new();

    public static async Task<SupabaseEnvironment> StartAsync(bool recordRequests = false, int maxRows = 1000, IReadOnlyList<string>? exposedSchemas = null, Func<NpgsqlDataSource, Task>? prepare = null)
    {
        var cluster = await PostgresCluster.GetAsync();
        var database = await cluster.CreateDatabaseAsync();
        var admin = NpgsqlDataSource.Create(cluster.ConnectionString(database));
        if (prepare is not null)
        {
            await prepare(admin);
        }

        var server = await PostgrestTestServer.StartAsync(new PostgrestTestServerOptions
        {
            ConnectionString = cluster.ConnectionString(database),
            RecordRequests = recordRequests,
            MaxRows = maxRows,
            ExposedSchemas = exposedSchemas ?? ["public", "graphql_public"],
        });
        return new SupabaseEnvironment(cluster, database, admin, server);
    }

    public async Task<Guid> CreateUserAsync()
    {
        var id = Guid.NewGuid();
        await using var command = Admin.CreateCommand("insert into auth.users (id, email) values ($1, $2)");
        command.Parameters.AddWithValue(id);
        command.Parameters.AddWithValue($"{id:N}@example.test");
        await command.ExecuteNonQueryAsync();
        return id;
    }

    /// <summary>Service mode with the secret key (<c>sb_secret_…</c>), or the legacy service_role JWT key.</summary>
    public SupabaseChatStoreOptions ServiceOptions(bool legacy = false, string schema = "public") => legacy
        ? new() { Url = Server.Url, ServiceRoleKey = Server.ServiceRoleKey, Schema = schema }
        : new() { Url = Server.Url, SecretKey = Server.SecretKey, Schema = schema };

    /// <summary>
    /// User mode with the publishable key (<c>sb_publishable_…</c>) and ES256 access tokens from the project's signing key, or
    /// the legacy anon JWT key with HS256 access tokens.
    /// </summary>
    public SupabaseChatStoreOptions UserOptions(Guid userId, bool legacy = false, string schema = "public") => legacy
        ? new()
        {
            Url = Server.Url,
            AnonKey = Server.AnonKey,
            Schema = schema,
            AccessTokenProvider = (_, _) => ValueTask.FromResult(Server.CreateLegacyUserToken(userId)),
        }
        : new()
        {
            Url = Server.Url,
            PublishableKey = Server.PublishableKey,
            Schema = schema,
            AccessTokenProvider = (_, _) => ValueTask.FromResult(Server.CreateUserToken(userId)),
        };

    public async Task ExecuteAsync(string sql)
    {
        await using var command = Admin.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    public async Task<long> ScalarAsync(string sql, params object[] parameters)
    {
        await using var command = Admin.CreateCommand(sql);
        foreach (var parameter in parameters)
        {
            command.Parameters.AddWithValue(parameter);
        }

        return Convert.ToInt64(await command.ExecuteScalarAsync());
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Server.DisposeAsync();
        await Admin.DisposeAsync();
    }
}
