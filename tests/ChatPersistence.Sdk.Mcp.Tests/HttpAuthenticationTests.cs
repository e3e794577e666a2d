using System.Net;
using System.Net.Http.Headers;
using System.Text;
using FluentAssertions;

namespace ChatPersistence.Sdk.Mcp.Tests;

/// <summary>/mcp is behind the same authentication as /api: no token, a forged token or an expired one gets nothing.</summary>
public sealed class HttpAuthenticationTests : IAsyncLifetime
{
    private SqliteBackend _backend = null!;
    private HttpHost _host = null!;

    public async Task InitializeAsync()
    {
        _backend = new SqliteBackend();
        _host = await HttpHost.StartAsync(_backend, favorites: false);
    }

    public async Task DisposeAsync()
    {
        await _host.DisposeAsync();
        await _backend.DisposeAsync();
    }

    [Theory]
    [InlineData("none")]
    [InlineData("forged")]
    [InlineData("garbage")]
    public async Task An_unauthenticated_MCP_client_is_refused(string kind)
    {
        var token = kind switch
        {
            "none" => null,
            "forged" => HttpHost.Token(Guid.NewGuid().ToString(), secret: "another-secret-another-secret-0123456789"),
            _ => "not-a-token",
        };

        var connect = () => ModelContextProtocol.Client.McpClient.CreateAsync(_host.TransportWith(token));
        (await connect.Should().ThrowAsync<HttpRequestException>()).Which.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_raw_tool_call_without_a_token_is_a_401_before_any_tool_runs()
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, _host.Endpoint)
        {
            Content = new StringContent("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_workflows","arguments":{}}}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await http.SendAsync(request);
        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        response.Headers.WwwAuthenticate.Should().NotBeEmpty();
    }

    [Fact]
    public async Task set_favorite_is_off_unless_the_host_enables_it()
    {
        var user = Guid.NewGuid().ToString();
        var tools = await (await _host.ClientAsync(user)).ListToolsAsync();
        tools.Select(t => t.Name).Should().BeEquivalentTo(
            ChatHistoryToolNames.SearchChatHistory, ChatHistoryToolNames.GetChatMessages, ChatHistoryToolNames.ListWorkflows, ChatHistoryToolNames.ListFavoriteMessages,
            ChatHistoryToolNames.GetMessageVersions);
    }
}
