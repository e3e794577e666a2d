using ModelContextProtocol.Client;

namespace ChatPersistence.Sdk.Mcp.Tests;

/// <summary>The console sample as a stdio MCP server (<c>chat-console --mcp --user …</c>): one process per user, the user fixed by the host.</summary>
public sealed class StdioHost(StoreBackend backend, bool favorites = true) : McpHost
{
    public override string Transport => "stdio";

    public static string ConsoleDll
    {
        get
        {
            var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
            var root = AppContext.BaseDirectory;
            while (!File.Exists(Path.Combine(root, "ChatPersistence.Sdk.sln")))
            {
                root = Path.GetDirectoryName(root.TrimEnd(Path.DirectorySeparatorChar)) ?? throw new InvalidOperationException("Repository root not found.");
            }

            var dll = Path.Combine(root, "samples", "ChatPersistence.Samples.Console", "bin", configuration, "net10.0", "chat-console.dll");
            return File.Exists(dll) ? dll : throw new FileNotFoundException("Build the console sample first (the test project references it).", dll);
        }
    }

    protected override IClientTransport CreateTransport(string userId)
    {
        List<string> args = [ConsoleDll, "--mcp", "--user", userId];
        if (favorites)
        {
            args.Add("--mcp-favorites");
        }

        // Configuration by environment, exactly as a user's MCP client config would pass it.
        var environment = backend.Settings.ToDictionary(kv => kv.Key.Replace(":", "__", StringComparison.Ordinal), kv => (string?)kv.Value);
        environment["DOTNET_NOLOGO"] = "1";
        return new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = "chat-console",
            Command = "dotnet",
            Arguments = args,
            EnvironmentVariables = environment,
            ShutdownTimeout = TimeSpan.FromSeconds(10),
        });
    }
}
