using System.Diagnostics;
using System.Text.Json.Nodes;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// MCP sign-in discovery as real clients run it: the official MCP TypeScript SDK (1.32, <c>mcp-ts-client/</c>) connects to
/// the chat server's <c>/mcp</c> (a real process with Supabase authentication) without a token, follows the 401's
/// <c>resource_metadata</c> to the Protected Resource Metadata (RFC 9728), reads the authorization server's metadata from the
/// Supabase Auth stand-in, and hands off to its authorization endpoint with PKCE and the resource indicator.
/// </summary>
public sealed class McpSignInDiscoveryTests : IAsyncLifetime
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chat-mcp-signin-" + Guid.NewGuid().ToString("N"));
    private JwksServer _auth = null!;
    private ServerProcess _server = null!;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_folder);
        _auth = await JwksServer.StartAsync();
        _server = await ServerProcess.StartAsync(
        [
            "--environment", "Production",
            "--ChatPersistence:Store", "Sqlite",
            "--ChatPersistence:Sqlite:Path", Path.Combine(_folder, "chat.db"),
            "--Auth:SupabaseUrl", _auth.Url,
            "--Auth:RequireHttpsMetadata", "false",
            "--Logging:LogLevel:Default", "Warning",
        ]);
    }

    public async Task DisposeAsync()
    {
        _server.Dispose();
        await _auth.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task The_TypeScript_SDK_discovers_Supabase_Auth_and_hands_off_to_its_authorization_endpoint()
    {
        var result = await RunClientAsync(_server.Url + "/mcp");

        result["error"]!.GetValue<string>().Should().Be("unauthorized (redirect issued)", result.ToJsonString());
        var discovery = result["discovery"]!;
        discovery["authorizationServerUrl"]!.GetValue<string>().Should().Be(_auth.Issuer, "the server names the issuer of its tokens");
        discovery["resourceMetadata"]!["resource"]!.GetValue<string>().Should().Be(_server.Url + "/mcp");
        _auth.MetadataFetches.Should().BeGreaterThan(0, "the client read the authorization server's metadata");

        var redirect = new Uri(result["redirect"]!.GetValue<string>());
        redirect.GetLeftPart(UriPartial.Path).Should().Be(_auth.Issuer + "/oauth/authorize");
        var query = System.Web.HttpUtility.ParseQueryString(redirect.Query);
        query["response_type"].Should().Be("code");
        query["client_id"].Should().Be("chat-tests");
        query["code_challenge_method"].Should().Be("S256");
        query["code_challenge"].Should().NotBeNullOrEmpty();
        query["resource"].Should().Be(_server.Url + "/mcp", "the token is asked for this resource (RFC 8707)");
    }

    private static async Task<JsonNode> RunClientAsync(string mcpUrl)
    {
        var folder = ClientFolder();
        if (!Directory.Exists(Path.Combine(folder, "node_modules", "@modelcontextprotocol", "sdk")))
        {
            await RunAsync("npm", folder, "ci", "--no-audit", "--no-fund");
        }

        var output = await RunAsync("node", folder, "auth-handoff.mjs", mcpUrl);
        return JsonNode.Parse(output.Trim().Split('\n')[^1])!;
    }

    private static async Task<string> RunAsync(string command, string folder, params string[] arguments)
    {
        var info = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"{command} is needed for the MCP TypeScript SDK test: apt-get install -y nodejs npm (scripts/install-test-prerequisites.sh does).", ex);
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            var output = await stdout;
            process.ExitCode.Should().Be(0, $"{command} {string.Join(' ', arguments)} failed:\n{output}\n{await stderr}");
            return output;
        }
    }

    private static string ClientFolder()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "ChatPersistence.Sdk.sln")))
        {
            root = Path.GetDirectoryName(root.TrimEnd(Path.DirectorySeparatorChar)) ?? throw new InvalidOperationException("The repository root was not found above the test output.");
        }

        return Path.Combine(root, "tests", "ChatPersistence.Samples.Server.Tests", "mcp-ts-client");
    }
}
