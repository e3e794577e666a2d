using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ChatPersistence.Sdk;
using Microsoft.Extensions.DependencyInjection;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>Reads never create sessions, and workflow ids with <c>/</c> (or other reserved characters) are the same workflow over HTTP and over the socket.</summary>
public sealed class WorkflowRoutesTests : IClassFixture<ServerFactory>
{
    private readonly ServerFactory _factory;

    public WorkflowRoutesTests(ServerFactory factory) => _factory = factory;

    [Fact]
    public async Task Reading_unknown_workflows_writes_nothing()
    {
        var (token, user) = await ServerClient.TokenAsync(_factory, "reader");
        using var http = ServerClient.Http(_factory, token);

        for (var i = 0; i < 50; i++)
        {
            var page = (await http.GetFromJsonAsync<JsonObject>($"/api/workflows/random-{Guid.NewGuid()}/messages"))!;
            page["messages"]!.AsArray().Should().BeEmpty();
            page["sessionId"].Should().BeNull();
        }

        (await http.GetFromJsonAsync<JsonObject>("/api/search?q=hello&workflowId=never-used"))!["items"]!.AsArray().Should().BeEmpty();
        (await http.GetAsync("/api/workflows/never-used/export/json")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await http.DeleteAsync("/api/workflows/never-used/messages")).EnsureSuccessStatusCode();
        (await http.DeleteAsync("/api/workflows/never-used")).StatusCode.Should().Be(HttpStatusCode.NotFound);
        using (var socket = await ServerClient.ConnectAsync(_factory, token, "socket-only-read"))
        {
            (await ServerClient.ReceiveAsync(socket, "history"))["sessionId"].Should().BeNull();
        }

        (await _factory.Store.ListSessionsAsync(user.ToString())).Items.Should().BeEmpty("reading is not writing");
        (await http.GetAsync("/api/workflows/wf/messages?limit=0")).StatusCode.Should().Be(HttpStatusCode.BadRequest, "bad input is still refused");
    }

    [Theory]
    [InlineData("team/alpha")]
    [InlineData("spaces and ?#& signs")]
    [InlineData("ação/日本")]
    public async Task A_workflow_created_over_the_socket_is_reachable_over_http(string workflowId)
    {
        var (token, user) = await ServerClient.TokenAsync(_factory, "slash-" + workflowId.GetHashCode());
        using (var socket = await ServerClient.ConnectAsync(_factory, token, workflowId))
        {
            await ServerClient.ReceiveAsync(socket, "history");
            await ServerClient.SendAsync(socket, new { type = "send", id = Guid.NewGuid(), content = "reachable" });
            await ServerClient.ReceiveAsync(socket, "assistant.end");
        }

        using var http = ServerClient.Http(_factory, token);
        var path = $"/api/workflows/{Uri.EscapeDataString(workflowId)}";
        var page = (await http.GetFromJsonAsync<JsonObject>(path + "/messages"))!;
        page["workflowId"]!.GetValue<string>().Should().Be(workflowId);
        page["messages"]!.AsArray().Should().HaveCount(2);
        (await http.GetStringAsync(path + "/export/md")).Should().Contain("reachable");
        (await http.DeleteAsync(path + "/messages")).EnsureSuccessStatusCode();
        var session = (await _factory.Store.ListSessionsAsync(user.ToString())).Items.Single();
        session.WorkflowId.Should().Be(workflowId);
        (await _factory.Store.GetMessagesAsync(user.ToString(), session.Id)).Messages.Should().BeEmpty();
        (await http.DeleteAsync(path)).StatusCode.Should().Be(HttpStatusCode.NoContent);
        (await _factory.Store.ListSessionsAsync(user.ToString())).Items.Should().BeEmpty();
    }

    [Fact]
    public async Task On_a_real_server_an_encoded_slash_and_a_literal_percent_2F_are_two_distinct_reachable_workflows()
    {
        await using var app = ChatServer.Build(["--environment", "Development", "--urls", "http://127.0.0.1:0", "--ChatPersistence:Store", "InMemory"]);
        await app.StartAsync();
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        var token = (await (await http.PostAsJsonAsync("/dev/token", new { name = "kestrel-slash" })).Content.ReadFromJsonAsync<JsonObject>())!;
        var user = token["userId"]!.GetValue<string>();
        http.DefaultRequestHeaders.Authorization = new("Bearer", token["token"]!.GetValue<string>());
        var store = app.Services.GetRequiredService<IChatSessionStore>();
        foreach (var workflowId in new[] { "team/alpha", "a%2Fb" })
        {
            var session = await store.GetOrCreateSessionAsync(user, workflowId);
            await store.AppendMessageAsync(user, session.Id, NewChatMessage.User("in " + workflowId));
        }

        foreach (var workflowId in new[] { "team/alpha", "a%2Fb" })
        {
            var page = (await http.GetFromJsonAsync<JsonObject>($"/api/workflows/{Uri.EscapeDataString(workflowId)}/messages"))!;
            page["workflowId"]!.GetValue<string>().Should().Be(workflowId);
            page["messages"]!.AsArray().Single()!["content"]!.GetValue<string>().Should().Be("in " + workflowId);
        }

        await app.StopAsync();
    }
}
