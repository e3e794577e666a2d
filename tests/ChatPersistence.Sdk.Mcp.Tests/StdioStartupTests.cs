using System.Collections.Concurrent;
using System.Diagnostics;
using FluentAssertions;
using ModelContextProtocol.Client;

namespace ChatPersistence.Sdk.Mcp.Tests;

/// <summary>
/// Starting <c>chat-console --mcp</c> as an MCP client does (a real process over stdio): the user is never guessed from the OS,
/// and the server says on stderr — which MCP clients keep in their server log — whose history it serves.
/// </summary>
public sealed class StdioStartupTests : IAsyncLifetime
{
    private readonly SqliteBackend _backend = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _backend.DisposeAsync();

    [Fact]
    public async Task Without_user_the_server_refuses_to_start_and_names_the_option()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = true };
        foreach (var argument in new[] { StdioHost.ConsoleDll, "--mcp" })
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in _backend.Settings)
        {
            info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        using var process = Process.Start(info)!;
        var error = await process.StandardError.ReadToEndAsync();
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();

        process.ExitCode.Should().Be(2);
        error.Should().Contain("--mcp needs --user <id>");
        output.Should().BeEmpty("stdout is the protocol's");
    }

    [Fact]
    public async Task The_server_says_on_stderr_which_user_it_serves_and_warns_when_that_user_has_no_chats()
    {
        var writer = Guid.NewGuid().ToString();
        var session = await _backend.Store.GetOrCreateSessionAsync(writer, "alpha");
        await _backend.Store.AppendMessageAsync(writer, session.Id, NewChatMessage.User("hello"));

        (await StderrOfAsync(writer)).Should().Contain($"serving the chat history of user '{writer}' (Sqlite)");
        (await StderrOfAsync("alice")).Should().Contain("serving user 'alice' (Sqlite), who has no chats in this store yet");
    }

    // Connects with the official client as user, lists the tools (the server answers), and returns what it wrote on stderr.
    private async Task<string> StderrOfAsync(string user)
    {
        var lines = new ConcurrentQueue<string>();
        var environment = _backend.Settings.ToDictionary(kv => kv.Key.Replace(":", "__", StringComparison.Ordinal), kv => (string?)kv.Value);
        await using (var client = await McpClient.CreateAsync(new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = "chat-console",
            Command = "dotnet",
            Arguments = [StdioHost.ConsoleDll, "--mcp", "--user", user],
            EnvironmentVariables = environment,
            StandardErrorLines = lines.Enqueue,
        })))
        {
            (await client.ListToolsAsync()).Should().NotBeEmpty();
        }

        return string.Join("\n", lines);
    }
}
