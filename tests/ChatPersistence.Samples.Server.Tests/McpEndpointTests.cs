using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// <c>/mcp</c> of the chat server as deployed: a real server process (Production, HS256 tokens, SQLite, logs at Information on
/// the console) reached with raw streamable-HTTP requests. A body over the limit is 413 with one log line; failing tool calls
/// are short tool errors, not error logs with stack traces; another origin is refused; MCP has a rate-limit budget of its own.
/// </summary>
public sealed class McpEndpointTests : IAsyncLifetime, IDisposable
{
    private const string Secret = "mcp-endpoint-tests-secret-of-32-characters-at-least";
    private const string Issuer = "https://mcp-endpoint.example.test/auth/v1";

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chat-mcp-endpoint-" + Guid.NewGuid().ToString("N"));
    private readonly HttpClient _http = new();
    private ServerProcess _server = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        _server = await ServerProcess.StartAsync(
        [
            "--environment", "Production",
            "--ChatPersistence:Store", "Sqlite",
            "--ChatPersistence:Sqlite:Path", Path.Combine(_folder, "chat.db"),
            "--Auth:JwtSecret", Secret,
            "--Auth:Issuer", Issuer,
            "--Chat:AllowedOrigins:0", "https://app.example.com",
            "--Limits:ApiRequestsPerMinute", "5",
            "--Limits:McpRequestsPerMinute", "40",
            "--Logging:LogLevel:Default", "Information",
            "--Logging:Console:FormatterName", "simple",
        ]);
    }

    public void Dispose() => _http.Dispose();

    public Task DisposeAsync()
    {
        _server.Dispose();
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
    public async Task A_body_over_the_limit_is_413_problem_details_with_one_log_line_and_no_stack_trace()
    {
        var token = Token(Guid.NewGuid());
        var padding = new string('x', 70 * 1024); // Limits:MaxRequestBodyBytes is 64 KB
        using var response = await PostAsync(token, new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "tools/call", ["params"] = new JsonObject { ["name"] = "list_workflows", ["arguments"] = new JsonObject { ["cursor"] = padding } } }.ToJsonString());

        response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge, _server.Output);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        problem["status"]!.GetValue<int>().Should().Be(413);

        var output = await SettledOutputAsync();
        output.Split('\n').Count(line => line.Contains("refused with 413", StringComparison.Ordinal)).Should().Be(1, output);
        output.Should().NotContain("   at ", "a client's oversized body is not worth a stack trace").And.NotContain("fail:");
    }

    [Fact]
    public async Task Failing_tool_calls_are_short_tool_errors_never_error_logs_with_stack_traces()
    {
        var token = Token(Guid.NewGuid());
        var start = (await SettledOutputAsync()).Length;
        for (var i = 0; i < 10; i++)
        {
            var unknown = await CallToolAsync(token, "get_chat_messages", new JsonObject { ["workflow"] = "ghost-" + i });
            unknown["isError"]!.GetValue<bool>().Should().BeTrue();
            Text(unknown).Should().Contain("list_workflows").And.NotContain("An error occurred");

            var cursor = await CallToolAsync(token, "list_workflows", new JsonObject { ["cursor"] = "not-a-cursor-" + i });
            cursor["isError"]!.GetValue<bool>().Should().BeTrue();
            Text(cursor).Should().NotContain("An error occurred");

            var type = await CallToolAsync(token, "get_chat_messages", new JsonObject { ["workflow"] = "alpha", ["limit"] = "ten" });
            Text(type).Should().StartWith("The argument 'limit' must be an integer");
        }

        var output = (await SettledOutputAsync())[start..];
        output.Should().NotContain("fail:").And.NotContain("   at ", "expected tool errors are not server errors");
        var lines = output.Split('\n').Count(line => line.Contains("get_chat_messages", StringComparison.Ordinal) || line.Contains("list_workflows", StringComparison.Ordinal));
        lines.Should().Be(30, "one short line per failing call (the SDK's '\"tool\" completed. IsError = True.'):\n" + output);

        // With Information on, the SDK also writes its per-request lines (called / completed in), as for a successful call.
        var perCall = output.Length / 30;
        perCall.Should().BeLessThan(600, "a few short lines, not a 2.6 KB stack trace per call:\n" + output);
        File.WriteAllText(Path.Combine(AppContext.BaseDirectory, "mcp-failing-call-log-bytes.txt"), $"{perCall} bytes of log per failing tool call at Information\n");
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("own", true)]
    [InlineData("https://app.example.com", true)]
    [InlineData("https://evil.example", false)]
    [InlineData("http://localhost:1", false)]
    [InlineData("null", false)]
    public async Task The_mcp_endpoint_checks_Origin_like_the_socket(string? origin, bool accepted)
    {
        using var request = Request(Token(Guid.NewGuid()), """{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}""");
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin == "own" ? _server.Url : origin);
        }

        using var response = await _http.SendAsync(request);
        response.StatusCode.Should().Be(accepted ? HttpStatusCode.OK : HttpStatusCode.Forbidden, _server.Output);
    }

    [Fact]
    public async Task MCP_calls_have_a_rate_limit_of_their_own_apart_from_the_APIs()
    {
        var token = Token(Guid.NewGuid());
        // Each budget refills as time passes (a token bucket), so on a slow machine a call or two more may pass before the
        // refusal: call until the first 429 (bounded), and check the budget spent before it.
        var api = new List<HttpStatusCode>();
        while (api.Count < 20 && (api.Count == 0 || api[^1] != HttpStatusCode.TooManyRequests))
        {
            using var me = new HttpRequestMessage(HttpMethod.Get, _server.Url + "/api/me");
            me.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            api.Add((await _http.SendAsync(me)).StatusCode);
        }

        api.Take(5).Should().AllSatisfy(s => s.Should().Be(HttpStatusCode.OK));
        api[^1].Should().Be(HttpStatusCode.TooManyRequests, "Limits:ApiRequestsPerMinute is 5");

        // The API budget is spent; MCP still has its 40.
        var mcp = new List<HttpStatusCode>();
        while (mcp.Count < 80 && (mcp.Count == 0 || mcp[^1] != HttpStatusCode.TooManyRequests))
        {
            using var response = await PostAsync(token, """{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}""");
            mcp.Add(response.StatusCode);
        }

        mcp.Take(40).Should().AllSatisfy(s => s.Should().Be(HttpStatusCode.OK), "MCP has a budget of its own although the API's is spent");
        mcp[^1].Should().Be(HttpStatusCode.TooManyRequests, "Limits:McpRequestsPerMinute is 40");
    }

    [Fact]
    public async Task The_protected_resource_metadata_names_the_authorization_server_and_every_401_points_at_it()
    {
        foreach (var path in new[] { "/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource" })
        {
            using var response = await _http.GetAsync(_server.Url + path);
            response.StatusCode.Should().Be(HttpStatusCode.OK, path);
            var metadata = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            metadata["authorization_servers"]!.AsArray().Select(s => s!.GetValue<string>()).Should().Equal([Issuer], "the issuer of the tokens this server accepts (Supabase Auth)");
            metadata["bearer_methods_supported"]!.AsArray().Select(s => s!.GetValue<string>()).Should().Equal("header");
            metadata["resource"]!.GetValue<string>().Should().Be(path.EndsWith("/mcp", StringComparison.Ordinal) ? _server.Url + "/mcp" : _server.Url);
        }

        using var expiredKey = TestKey.Hs256(Secret);
        var expired = expiredKey.Sign(TestKey.Claims(Issuer, Guid.NewGuid(), c => c["exp"] = DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds()));
        foreach (var token in new[] { null, expired, "garbage" })
        {
            using var request = Request(token ?? "", """{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}""");
            if (token is null)
            {
                request.Headers.Authorization = null;
            }

            using var response = await _http.SendAsync(request);
            response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
            var challenges = string.Join(", ", response.Headers.WwwAuthenticate.Select(h => h.ToString()));
            challenges.Should().Contain($"Bearer resource_metadata=\"{_server.Url}/.well-known/oauth-protected-resource/mcp\"", token ?? "no token");
            if (token is not null)
            {
                challenges.Should().Contain("error=\"invalid_token\"", "JwtBearer still says why the token was refused");
            }
        }
    }

    private static string Token(Guid user)
    {
        using var key = TestKey.Hs256(Secret);
        return key.Sign(TestKey.Claims(Issuer, user));
    }

    private HttpRequestMessage Request(string token, string json)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, _server.Url + "/mcp") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        return request;
    }

    private async Task<HttpResponseMessage> PostAsync(string token, string json)
    {
        using var request = Request(token, json);
        return await _http.SendAsync(request);
    }

    // One tools/call; the stateless server answers with one JSON-RPC response (as JSON or as one server-sent event).
    private async Task<JsonNode> CallToolAsync(string token, string tool, JsonObject arguments)
    {
        var call = new JsonObject { ["jsonrpc"] = "2.0", ["id"] = 1, ["method"] = "tools/call", ["params"] = new JsonObject { ["name"] = tool, ["arguments"] = arguments } };
        using var response = await PostAsync(token, call.ToJsonString());
        response.StatusCode.Should().Be(HttpStatusCode.OK, _server.Output);
        var body = await response.Content.ReadAsStringAsync();
        var json = response.Content.Headers.ContentType?.MediaType == "text/event-stream"
            ? body.Split('\n').Last(line => line.StartsWith("data:", StringComparison.Ordinal))["data:".Length..]
            : body;
        return JsonNode.Parse(json)!["result"] ?? throw new InvalidOperationException("Not a tool result: " + body);
    }

    private static string Text(JsonNode result) => string.Concat(result["content"]!.AsArray().Select(c => c!["text"]?.GetValue<string>()));

    // The console logger writes on a background thread: wait until the output has not grown for a second (two checks).
    private async Task<string> SettledOutputAsync()
    {
        var last = -1;
        for (var stable = 0; stable < 2; stable = _server.Output.Length == last ? stable + 1 : 0)
        {
            last = _server.Output.Length;
            await Task.Delay(500);
        }

        return _server.Output;
    }
}
