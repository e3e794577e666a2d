using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// Per-user limits across instances: two real server processes (Production, one SQLite file, HS256 tokens) sharing a real
/// Redis (<c>Limits:Redis</c>) count one budget per user — API calls, open sockets and sends — not one per instance.
/// </summary>
public sealed class ClusterLimitsTests : IAsyncLifetime, IDisposable
{
    private const string Secret = "cluster-limits-tests-secret-of-32-characters-at-least";
    private const string Issuer = "https://cluster-limits.example.test/auth/v1";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chat-cluster-limits-" + Guid.NewGuid().ToString("N"));
    private readonly HttpClient _http = new();
    private RedisProcess _redis = null!;
    private ServerProcess _first = null!;
    private ServerProcess _second = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        _redis = await RedisProcess.StartAsync();
        string[] settings =
        [
            "--environment", "Production",
            "--ChatPersistence:Store", "Sqlite",
            "--ChatPersistence:Sqlite:Path", Path.Combine(_folder, "chat.db"),
            "--Auth:JwtSecret", Secret,
            "--Auth:Issuer", Issuer,
            "--Chat:OfflineWordDelay", "00:00:00",
            "--Limits:Redis", _redis.Configuration,
            "--Limits:ApiRequestsPerMinute", "10",
            "--Limits:SocketsPerUser", "2",
            "--Limits:SendsPerMinute", "4",
            "--Logging:LogLevel:Default", "Warning",
        ];
        _first = await ServerProcess.StartAsync(settings);
        _second = await ServerProcess.StartAsync(settings);
    }

    public Task DisposeAsync()
    {
        _first.Dispose();
        _second.Dispose();
        _redis.Dispose();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }

        return Task.CompletedTask;
    }

    [Fact]
    public async Task API_calls_are_counted_once_for_the_cluster()
    {
        var token = Token(Guid.NewGuid());
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 14; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, (i % 2 == 0 ? _first : _second).Url + "/api/me");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            statuses.Add((await _http.SendAsync(request)).StatusCode);
        }

        statuses.Count(s => s == HttpStatusCode.OK).Should().Be(10, "ApiRequestsPerMinute is 10 for the user, whichever instance serves the call");
        statuses.Skip(10).Should().AllSatisfy(s => s.Should().Be(HttpStatusCode.TooManyRequests));
    }

    [Fact]
    public async Task Open_sockets_and_sends_are_counted_once_for_the_cluster()
    {
        var token = Token(Guid.NewGuid());
        using var one = await ConnectAsync(_first, token);
        using var two = await ConnectAsync(_second, token);
        var third = () => ConnectAsync(_first, token);
        (await third.Should().ThrowAsync<WebSocketException>()).Which.Message.Should().Contain("429", "SocketsPerUser is 2 across the instances");

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

        codes.Should().Equal(["saved", "saved", "saved", "saved", "rate_limited", "rate_limited"], "SendsPerMinute is 4 for the user across the instances");
    }

    public void Dispose() => _http.Dispose();

    private static string Token(Guid user)
    {
        using var key = TestKey.Hs256(Secret);
        return key.Sign(TestKey.Claims(Issuer, user));
    }

    private static async Task<ClientWebSocket> ConnectAsync(ServerProcess server, string token)
    {
        var socket = new ClientWebSocket();
        try
        {
            await socket.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/ws/chat?workflowId=wf-cluster&access_token={token}"), CancellationToken.None);
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
