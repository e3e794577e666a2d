using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using ChatPersistence.Sdk.PostgresTesting;
using FluentAssertions;
using Npgsql;
using Xunit;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// Per-user limits across instances without Redis: two real server processes (Production, HS256 tokens) on one real PostgreSQL
/// store count one budget per user in the database (<c>chat_server_limits.counters</c>) — API calls per minute and the daily
/// message quota — not one per instance.
/// </summary>
[Collection("two server instances")]
public sealed class DatabaseLimitsTests : IAsyncLifetime, IDisposable
{
    private const string Secret = "database-limits-tests-secret-of-32-characters-at-least";
    private const string Issuer = "https://database-limits.example.test/auth/v1";

    private readonly HttpClient _http = new();
    private string _connectionString = "";
    private ServerProcess _first = null!;
    private ServerProcess _second = null!;

    public async Task InitializeAsync()
    {
        var cluster = await PostgresCluster.GetAsync();
        var database = await cluster.CreateDatabaseAsync();
        _connectionString = cluster.ConnectionString(database);
        string[] settings =
        [
            "--environment", "Production",
            "--ChatPersistence:Store", "Postgres",
            "--ChatPersistence:Postgres:ConnectionString", cluster.OwnerConnectionString(database),
            "--Auth:JwtSecret", Secret,
            "--Auth:Issuer", Issuer,
            "--Chat:OfflineWordDelay", "00:00:00",
            "--Limits:ApiRequestsPerMinute", "10",
            "--Limits:DailyMessages", "3",
            "--Logging:LogLevel:Default", "Warning",
        ];
        var started = await Task.WhenAll(ServerProcess.StartAsync(settings), ServerProcess.StartAsync(settings));
        (_first, _second) = (started[0], started[1]);
    }

    public Task DisposeAsync()
    {
        _first.Dispose();
        _second.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task API_calls_are_counted_once_for_the_cluster_in_the_database()
    {
        var user = Guid.NewGuid();
        var token = Token(user);
        await OutsideTheLastSecondsOfAMinuteAsync();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 14; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, (i % 2 == 0 ? _first : _second).Url + "/api/me");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await _http.SendAsync(request);
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                response.Headers.RetryAfter.Should().NotBeNull("a refusal says when the window ends");
            }
        }

        statuses.Take(10).Should().AllSatisfy(s => s.Should().Be(HttpStatusCode.OK), _first.Output + _second.Output);
        statuses.Skip(10).Should().AllSatisfy(s => s.Should().Be(HttpStatusCode.TooManyRequests), "ApiRequestsPerMinute is 10 for the user, whichever instance serves the call");
        (await CounterAsync($"api:user:{user}")).Should().Be(10, "the count is the database's");
    }

    [Fact]
    public async Task The_daily_quota_is_counted_once_for_the_cluster_in_the_database()
    {
        var user = Guid.NewGuid();
        await using (var admin = NpgsqlDataSource.Create(_connectionString))
        await using (var insert = admin.CreateCommand($"insert into auth.users (id) values ('{user}')"))
        {
            await insert.ExecuteNonQueryAsync(); // the Supabase schema ties sessions to auth.users
        }

        var token = Token(user);
        using var one = await ConnectAsync(_first, token);
        using var two = await ConnectAsync(_second, token);
        var codes = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            var socket = i % 2 == 0 ? one : two;
            await ServerClient.SendAsync(socket, new { type = "send", id = Guid.NewGuid(), content = "hello " + i });
            while (true)
            {
                var frame = await ServerClient.ReceiveAsync(socket);
                var type = frame["type"]!.GetValue<string>();
                if (type == "saved" || type == "error")
                {
                    codes.Add(type == "saved" ? "saved" : frame["code"]!.GetValue<string>());
                    break;
                }
            }
        }

        codes.Should().Equal(["saved", "saved", "saved", "quota_exceeded", "quota_exceeded", "quota_exceeded"], "DailyMessages is 3 for the user across the instances");
        (await CounterAsync($"daily:{user}")).Should().Be(3, "refused sends do not use up the quota");
    }

    public void Dispose() => _http.Dispose();

    private static string Token(Guid user)
    {
        using var key = TestKey.Hs256(Secret);
        return key.Sign(TestKey.Claims(Issuer, user));
    }

    // The per-minute window is a fixed minute on the database's clock: a run that straddles two minutes would get two budgets.
    private async Task OutsideTheLastSecondsOfAMinuteAsync()
    {
        await using var source = NpgsqlDataSource.Create(_connectionString);
        await using var command = source.CreateCommand("select extract(second from now())::float8");
        var second = (double)(await command.ExecuteScalarAsync())!;
        if (second > 45)
        {
            await Task.Delay(TimeSpan.FromSeconds(61 - second));
        }
    }

    private async Task<long?> CounterAsync(string key)
    {
        await using var source = NpgsqlDataSource.Create(_connectionString);
        await using var command = source.CreateCommand("select sum(used)::bigint from chat_server_limits.counters where key = @key");
        command.Parameters.AddWithValue("key", key);
        return await command.ExecuteScalarAsync() as long?;
    }

    private static async Task<ClientWebSocket> ConnectAsync(ServerProcess server, string token)
    {
        var socket = new ClientWebSocket();
        try
        {
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/ws/chat?workflowId=wf-db-limits&access_token={token}"), CancellationToken.None);
            await ServerClient.ReceiveAsync(socket, "history");
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
