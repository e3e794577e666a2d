using System.Net;
using System.Net.WebSockets;
using FluentAssertions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Xunit;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>Browser hardening: security headers on every response, a favicon, and the WebSocket's Origin allow-list.</summary>
public sealed class HardeningTests : IClassFixture<ServerFactory>
{
    private readonly ServerFactory _factory;

    public HardeningTests(ServerFactory factory) => _factory = factory;

    [Theory]
    [InlineData("/")]
    [InlineData("/main.js")]
    [InlineData("/api/sessions")]
    [InlineData("/no-such-page")]
    public async Task Every_response_carries_the_security_headers(string path)
    {
        using var http = _factory.CreateClient();
        var response = await http.GetAsync(path);

        var csp = response.Headers.GetValues("Content-Security-Policy").Single();
        csp.Should().Contain("default-src 'self'").And.Contain("frame-ancestors 'none'").And.Contain("object-src 'none'");
        response.Headers.GetValues("X-Content-Type-Options").Should().Equal("nosniff");
        response.Headers.GetValues("Referrer-Policy").Should().Equal("no-referrer");
        response.Headers.GetValues("X-Frame-Options").Should().Equal("DENY");
    }

    [Theory]
    [InlineData("/")]
    [InlineData("/markdown.js")]
    [InlineData("/api/sessions")]
    public async Task The_content_security_policy_is_exactly_the_reviewed_one(string path)
    {
        // Pinned: the web client (Markdown rendering included) builds its DOM with textContent and needs nothing more.
        using var http = _factory.CreateClient();
        var response = await http.GetAsync(path);
        response.Headers.GetValues("Content-Security-Policy").Should().Equal(MarkdownBrowserTests.ReviewedPolicy);
    }

    [Fact]
    public async Task The_page_has_a_favicon()
    {
        using var http = _factory.CreateClient();
        (await http.GetStringAsync("/")).Should().Contain("rel=\"icon\" href=\"favicon.svg\"");
        var icon = await http.GetAsync("/favicon.svg");
        icon.StatusCode.Should().Be(HttpStatusCode.OK);
        icon.Content.Headers.ContentType!.MediaType.Should().Be("image/svg+xml");
    }

    [Theory]
    [InlineData(null, true)]
    [InlineData("http://localhost", true)]
    [InlineData("https://evil.example", false)]
    [InlineData("http://localhost:8080", false)]
    [InlineData("null", false)]
    [InlineData("https://app.example.com", true)]
    public async Task The_socket_accepts_its_own_origin_and_the_configured_ones_only(string? origin, bool accepted)
    {
        await using var factory = _factory.WithWebHostBuilder(builder => builder.UseSetting("Chat:AllowedOrigins:0", "https://app.example.com/"));
        var (token, _) = await ServerClient.TokenAsync(factory, "origin");
        var client = factory.Server.CreateWebSocketClient();
        if (origin is not null)
        {
            client.ConfigureRequest = request => request.Headers.Origin = origin;
        }

        var connect = () => client.ConnectAsync(new Uri(factory.Server.BaseAddress, $"ws/chat?workflowId=wf-origin&access_token={token}"), CancellationToken.None);

        if (accepted)
        {
            using var socket = await connect();
            (await ServerClient.ReceiveAsync(socket, "history"))["type"]!.GetValue<string>().Should().Be("history");
            socket.State.Should().Be(WebSocketState.Open);
        }
        else
        {
            await connect.Should().ThrowAsync<InvalidOperationException>().WithMessage("*403*");
        }
    }
}
