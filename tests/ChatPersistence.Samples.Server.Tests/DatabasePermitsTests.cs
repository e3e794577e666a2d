using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using ChatPersistence.Sdk.PostgresTesting;
using FluentAssertions;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// The held limits across instances without Redis: two real server processes (Production, HS256 tokens) on one real PostgreSQL
/// store hold a user's open sockets and running PDF exports as permits in the database (<c>chat_server_limits.permits</c>), so
/// <c>SocketsPerUser</c> and <c>PdfExportsAtOnce</c> are one cap for the cluster; the permits of a killed instance expire.
/// </summary>
[Collection("two server instances")]
public sealed class DatabasePermitsTests(ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private const string Secret = "database-permits-tests-secret-of-32-characters-at-least";
    private const string Issuer = "https://database-permits.example.test/auth/v1";
    private const int Sockets = 3;
    private static readonly TimeSpan Expiry = TimeSpan.FromSeconds(10);

    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromMinutes(3) };
    private readonly List<ClientWebSocket> _sockets = [];
    private readonly Guid _user = Guid.NewGuid();
    private string _connectionString = "";
    private string _token = "";
    private ServerProcess _first = null!;
    private ServerProcess _second = null!;

    public async Task InitializeAsync()
    {
        var cluster = await PostgresCluster.GetAsync();
        var database = await cluster.CreateDatabaseAsync();
        _connectionString = cluster.ConnectionString(database);
        await using (var admin = NpgsqlDataSource.Create(_connectionString))
        await using (var insert = admin.CreateCommand($"insert into auth.users (id) values ('{_user}')"))
        {
            await insert.ExecuteNonQueryAsync(); // the Supabase schema ties sessions to auth.users
        }

        using (var key = TestKey.Hs256(Secret))
        {
            _token = key.Sign(TestKey.Claims(Issuer, _user));
        }

        string[] settings =
        [
            "--environment", "Production",
            "--ChatPersistence:Store", "Postgres",
            "--ChatPersistence:Postgres:ConnectionString", cluster.OwnerConnectionString(database),
            "--Auth:JwtSecret", Secret,
            "--Auth:Issuer", Issuer,
            "--Chat:OfflineWordDelay", "00:00:00",
            "--Limits:SocketsPerUser", Sockets.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--Limits:HeldPermitExpiry", Expiry.ToString(),
            "--Limits:PdfExportsAtOnce", "1",
            "--Limits:SendsPerMinute", "100000",
            "--Limits:DailyMessages", "100000",
            "--Logging:LogLevel:Default", "Warning",
        ];
        var started = await Task.WhenAll(ServerProcess.StartAsync(settings), ServerProcess.StartAsync(settings));
        (_first, _second) = (started[0], started[1]);
    }

    public Task DisposeAsync()
    {
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }

        _first.Dispose();
        _second.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Open_sockets_of_one_user_are_capped_once_for_the_cluster_and_a_close_on_one_instance_frees_a_place_on_the_other()
    {
        var one = await ConnectAsync(_first);
        await ConnectAsync(_second);
        await ConnectAsync(_first);
        await RefusedAsync(_second, "the cap of 3 is counted across the instances");
        await RefusedAsync(_first, "the cap of 3 is counted across the instances");
        (await PermitRowsAsync("sockets:%")).Should().Be(Sockets, "one row per open socket");

        await one.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
        await UntilConnectedAsync(_second, TimeSpan.FromSeconds(15), "the closed socket's permit is given back when the socket ends");
        await RefusedAsync(_first, "the freed place was taken on the other instance");
        (await PermitRowsAsync("sockets:%")).Should().Be(Sockets);
    }

    [Fact]
    public async Task The_permits_of_a_killed_instance_expire_and_the_user_can_open_sockets_again()
    {
        await ConnectAsync(_first);
        await ConnectAsync(_first);
        await ConnectAsync(_second);
        await RefusedAsync(_second, "the cap is reached");

        _first.Kill(); // SIGKILL: no socket close, no release
        var clock = Stopwatch.StartNew();
        await RefusedAsync(_second, "the killed instance's permits are held until they expire");
        await UntilConnectedAsync(_second, Expiry + TimeSpan.FromSeconds(20), "a permit no instance renews expires");
        var freed = clock.Elapsed;
        // The second permit of the killed instance is free too — soon after: each permit's expiry counts from its own
        // acquire or last renewal, and on a busy machine the two sockets may have been opened a few seconds apart.
        await UntilConnectedAsync(_second, Expiry + TimeSpan.FromSeconds(20), "the killed instance's second permit expires as well");
        await RefusedAsync(_second, "three sockets are open on the surviving instance");
        output.WriteLine($"the killed instance's permits were free {freed.TotalSeconds:0.0} s after the kill (expiry {Expiry.TotalSeconds:0} s, renewed every {Expiry.TotalSeconds / 3:0.#} s)");
        (await PermitRowsAsync("sockets:%")).Should().Be(Sockets, "the expired rows are gone");
    }

    [Fact]
    public async Task PDF_exports_at_once_are_capped_once_for_the_cluster()
    {
        // A history whose PDF takes seconds to build: 40 messages of 60 KB of words.
        var socket = await ConnectAsync(_first);
        var words = string.Join(' ', Enumerable.Range(0, 12_000).Select(i => "wort" + (i % 97)))[..60_000];
        for (var i = 0; i < 40; i++)
        {
            await ServerClient.SendAsync(socket, new { type = "send", id = Guid.NewGuid(), content = i + " " + words });
            while (true)
            {
                var frame = await ServerClient.ReceiveAsync(socket);
                var type = frame["type"]!.GetValue<string>();
                if (type == "error")
                {
                    throw new InvalidOperationException(frame.ToJsonString());
                }

                if (type == "saved")
                {
                    break;
                }
            }
        }

        var clock = Stopwatch.StartNew();
        var running = ExportAsync(_first);
        await UntilAsync(async () => await PermitRowsAsync("pdf-at-once:%") == 1 || running.IsCompleted, TimeSpan.FromSeconds(60));
        running.IsCompleted.Should().BeFalse("the first export must still be running for the check below (it took {0} ms)", clock.ElapsedMilliseconds);
        using (var refused = await ExportAsync(_second))
        {
            refused.StatusCode.Should().Be(HttpStatusCode.TooManyRequests, "PdfExportsAtOnce is 1 for the user across the instances");
            refused.Headers.RetryAfter.Should().NotBeNull();
            (await refused.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>().Should().Contain("already running");
        }

        using (var first = await running)
        {
            first.StatusCode.Should().Be(HttpStatusCode.OK, _first.Output);
            output.WriteLine($"the first PDF ({(await first.Content.ReadAsByteArrayAsync()).Length / 1024} KB) took {clock.Elapsed.TotalSeconds:0.0} s");
        }

        await UntilAsync(async () => await PermitRowsAsync("pdf-at-once:%") == 0, TimeSpan.FromSeconds(15));
        using var after = await ExportAsync(_second);
        after.StatusCode.Should().Be(HttpStatusCode.OK, "the finished export gave its permit back");
    }

    public void Dispose() => _http.Dispose();

    private async Task<HttpResponseMessage> ExportAsync(ServerProcess server)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, server.Url + "/api/workflows/wf-permits/export/pdf");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        return await _http.SendAsync(request);
    }

    private async Task<ClientWebSocket> ConnectAsync(ServerProcess server)
    {
        var socket = new ClientWebSocket();
        _sockets.Add(socket);
        await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/ws/chat?workflowId=wf-permits&access_token={_token}"), CancellationToken.None);
        await ServerClient.ReceiveAsync(socket, "history");
        return socket;
    }

    private async Task RefusedAsync(ServerProcess server, string because)
    {
        var connect = () => ConnectAsync(server);
        (await connect.Should().ThrowAsync<WebSocketException>(because)).Which.Message.Should().Contain("429", because);
    }

    // Retries a refused upgrade (429) until one is accepted; the bound is a hang bound.
    private async Task UntilConnectedAsync(ServerProcess server, TimeSpan bound, string because)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await ConnectAsync(server);
                return;
            }
            catch (WebSocketException ex) when (ex.Message.Contains("429") && clock.Elapsed < bound)
            {
                await Task.Delay(250);
            }
            catch (WebSocketException ex) when (ex.Message.Contains("429"))
            {
                throw new InvalidOperationException($"Still refused after {bound.TotalSeconds:0} s: {because}.\n{_first.Output}\n---\n{_second.Output}", ex);
            }
        }
    }

    private static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan bound)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            clock.Elapsed.Should().BeLessThan(bound, "a hang bound");
            await Task.Delay(20);
        }
    }

    private async Task<long> PermitRowsAsync(string pattern)
    {
        await using var source = NpgsqlDataSource.Create(_connectionString);
        await using var command = source.CreateCommand("select count(*) from chat_server_limits.permits where key like @pattern");
        command.Parameters.AddWithValue("pattern", pattern);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
