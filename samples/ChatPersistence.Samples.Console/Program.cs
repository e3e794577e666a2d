// The chat console: a persistent, per-workflow chat on the embedded SQLite default (or any store by configuration).
//   dotnet run --project samples/ChatPersistence.Samples.Console -- [--workflow <id>] [--user <id>] [--db <path>] [--yes]
// With --mcp it is instead a stdio MCP server over the same history (one user: --user), for an MCP client to start:
//   chat-console --mcp --user <id> [--db <path>] [--mcp-favorites]     (published: see docs/mcp.md; --user is required)
using System.Text;
using ChatPersistence.Samples.Console;
using ChatPersistence.Sdk;
using ChatPersistence.Sdk.Sqlite;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

System.Console.OutputEncoding = Encoding.UTF8;
System.Console.InputEncoding = Encoding.UTF8;

string workflow = "default", db = string.Empty;
string? user = null;
bool assumeYes = false, mcp = false, mcpFavorites = false;
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--workflow" when i + 1 < args.Length: workflow = args[++i]; break;
        case "--user" when i + 1 < args.Length: user = args[++i]; break;
        case "--db" when i + 1 < args.Length: db = args[++i]; break;
        case "--yes" or "-y": assumeYes = true; break;
        case "--mcp": mcp = true; break;
        case "--mcp-favorites": mcpFavorites = true; break;
        case "--help" or "-h":
            System.Console.WriteLine("usage: chat-console [--workflow <id>] [--user <id>] [--db <path>] [--yes]");
            System.Console.WriteLine("       chat-console --mcp --user <id> [--db <path>] [--mcp-favorites]   (a stdio MCP server: chat history tools for one user)");
            return 0;
        default:
            System.Console.Error.WriteLine($"unknown option {args[i]} (see --help)");
            return 2;
    }
}

var configuration = new ConfigurationBuilder()
    .SetBasePath(AppContext.BaseDirectory)
    .AddJsonFile("appsettings.json", optional: true)
    .AddEnvironmentVariables()
    .Build();

var storeName = configuration["ChatPersistence:Store"] ?? "Sqlite";
if (mcp)
{
    // The user is never guessed for an MCP client: the OS user name is rarely the id the history was written under (a
    // Supabase user id, the --user of the chat), and a wrong guess would serve an empty history without a word.
    if (string.IsNullOrWhiteSpace(user))
    {
        System.Console.Error.WriteLine("error: --mcp needs --user <id>: the user id your chats are stored under (the --user you chat with; with Postgres or Supabase, your Supabase user id).");
        return 2;
    }

    // A stdio MCP server: stdout carries the protocol only, so logs go to stderr and nothing else is printed.
    var host = Host.CreateEmptyApplicationBuilder(settings: null);
    host.Configuration.AddConfiguration(configuration);
    host.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning);
    if (AddStore(host.Services) is { } storeError)
    {
        System.Console.Error.WriteLine(storeError);
        return 2;
    }

    var server = host.Services
        .AddMcpServer(o => o.ServerInfo = new() { Name = "chat-console", Version = "1.0.0" })
        .WithStdioServerTransport()
        .WithChatHistoryTools(o => o.UserId = user);
    if (mcpFavorites)
    {
        server.WithChatHistoryFavoriteTool();
    }

    try
    {
        var app = host.Build();
        // Say on stderr (MCP clients keep it in their server log) whose history is served, and warn when it is empty.
        try
        {
            var chats = await app.Services.GetRequiredService<IChatSessionStore>().ListSessionsAsync(user, new ChatListRequest { PageSize = 1 });
            System.Console.Error.WriteLine(chats.Items.Count == 0
                ? $"chat-console MCP: serving user '{user}' ({storeName}), who has no chats in this store yet: is '{user}' the id your history was written under?"
                : $"chat-console MCP: serving the chat history of user '{user}' ({storeName}).");
        }
        catch (Exception ex) when (ex is ChatPersistenceException or ArgumentException)
        {
            System.Console.Error.WriteLine($"chat-console MCP: serving user '{user}' ({storeName}); the store could not be read yet: {ex.Message}");
        }

        await app.RunAsync();
        return 0;
    }
    catch (Microsoft.Extensions.Options.OptionsValidationException ex)
    {
        System.Console.Error.WriteLine($"error: {ex.Message}");
        return 2;
    }
}

user ??= Environment.UserName; // the interactive chat names its user in its first line
var services = new ServiceCollection();
services.AddSingleton<IConfiguration>(configuration);
if (AddStore(services) is { } error)
{
    System.Console.Error.WriteLine(error);
    return 2;
}

await using var provider = services.BuildServiceProvider();
var store = provider.GetRequiredService<IChatSessionStore>();
IChatClient model = configuration["Assistant:Provider"]?.ToLowerInvariant() switch
{
    "openai" => new OpenAICompatibleAssistant(
        new HttpClient { Timeout = TimeSpan.FromMinutes(2) },
        new Uri(configuration["Assistant:Endpoint"] is { Length: > 0 } endpoint ? endpoint : "https://api.openai.com/v1"),
        configuration["Assistant:Model"] is { Length: > 0 } modelName ? modelName : "gpt-4o-mini",
        configuration["Assistant:ApiKey"]),
    _ => new OfflineAssistant(),
};

System.Console.WriteLine($"ChatPersistence console — user '{user}', store {storeName}{(store is SqliteChatSessionStore sqlite ? $" at {sqlite.DatabasePath}" : string.Empty)}");
System.Console.WriteLine(model is OfflineAssistant
    ? "assistant: offline demo assistant (deterministic, no network). Set Assistant__Provider=OpenAI to use a real model."
    : $"assistant: OpenAI-compatible endpoint {configuration["Assistant:Endpoint"]}");
System.Console.WriteLine("type /help for commands");

using var cts = new CancellationTokenSource();
System.Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    cts.Cancel();
};
var window = int.TryParse(configuration["Assistant:HistoryWindow"], out var w) && w is > 0 and <= ChatPersistenceLimits.MaxPageSize ? w : 20;

// Persistence in one line: the decorator loads each workflow's history into the request and saves every turn.
using var assistant = new ChatClientBuilder(model).UseChatPersistence(store, o => o.MaxHistoryMessages = window).Build();
try
{
    return await new ChatApp(store, assistant, user, assumeYes, System.Console.In, System.Console.Out).RunAsync(workflow, cts.Token);
}
catch (OperationCanceledException)
{
    return 130;
}
catch (ArgumentException ex)
{
    System.Console.Error.WriteLine($"error: {ex.Message}");
    return 2;
}
catch (ChatPersistenceException ex)
{
    System.Console.Error.WriteLine($"store error{(ex.IsTransient ? " (transient: try again)" : string.Empty)}: {ex.Message}");
    return 1;
}

// The store named by ChatPersistence:Store; returns an error message when the name is unknown.
string? AddStore(IServiceCollection services)
{
    var persistence = services.AddChatPersistence();
    switch (storeName.ToLowerInvariant())
    {
        case "sqlite":
            persistence.UseSqlite(db.Length > 0 ? db : null);
            return null;
        case "inmemory":
            persistence.UseInMemory();
            return null;
        case "postgres":
            // ChatPersistence__Postgres__ConnectionString; user ids must then be UUIDs (e.g. --user <your Supabase user id>).
            persistence.UsePostgres();
            return null;
        case "supabase":
            // ChatPersistence__Supabase__Url plus either ChatPersistence__Supabase__ServiceRoleKey (service mode) or
            // ChatPersistence__Supabase__AnonKey and ChatPersistence__Supabase__AccessToken (a signed-in user's token: user mode,
            // Row Level Security decides). User ids are Supabase Auth user ids (--user <uuid>).
            persistence.UseSupabase(o =>
            {
                if (configuration["ChatPersistence:Supabase:AccessToken"] is { Length: > 0 } token)
                {
                    o.AccessTokenProvider = (_, _) => ValueTask.FromResult(token);
                }
            });
            return null;
        default:
            return $"ChatPersistence:Store '{storeName}' is not available in this sample (use Sqlite, InMemory, Postgres or Supabase).";
    }
}
