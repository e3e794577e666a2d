using System.Security.Claims;
using ChatPersistence.Samples.Server.Api;
using ChatPersistence.Samples.Server.Auth;
using ChatPersistence.Samples.Server.Chat;
using ChatPersistence.Samples.Server.Limits;
using ChatPersistence.Samples.Server.Web;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ChatPersistence.Samples.Server;

/// <summary>Builds the chat server: the store by configuration (<c>AddChatPersistence</c>), auth, the WebSocket, the API and the page.</summary>
public static class ChatServer
{
    /// <summary>Builds the application (used by <c>Program</c> and by the browser tests).</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        // `dotnet build -o out && dotnet out/chat-server.dll` runs with the current directory as content root, which has no
        // wwwroot: the build copies the page next to the server, and that copy is served when the content root has none.
        var besideTheServer = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        if (!Directory.Exists(builder.Environment.WebRootPath) && Directory.Exists(besideTheServer))
        {
            builder.Environment.WebRootPath = besideTheServer;
            builder.Environment.WebRootFileProvider = new Microsoft.Extensions.FileProviders.PhysicalFileProvider(besideTheServer);
        }

        var configuration = builder.Configuration;

        // The one call a host makes; the store comes from configuration (SQLite by default).
        var persistence = builder.Services.AddChatPersistence();
        switch ((configuration["ChatPersistence:Store"] ?? "Sqlite").ToLowerInvariant())
        {
            case "postgres":
                persistence.UsePostgres();
                break;
            case "supabase":
                persistence.UseSupabase();
                break;
            case "inmemory":
                persistence.UseInMemory();
                break;
            default:
                persistence.UseSqlite(configuration["ChatPersistence:Sqlite:Path"] is { Length: > 0 } path ? path : Path.Combine(builder.Environment.ContentRootPath, "data", "chat-server.db"));
                break;
        }

        // The socket URL carries the access token: ASP.NET Core's request logs (at Information) show it redacted.
        builder.Services.AddSingleton<LoggerFactory>();
        builder.Services.Replace(ServiceDescriptor.Singleton<ILoggerFactory>(services => new TokenRedactingLoggerFactory(services.GetRequiredService<LoggerFactory>())));

        var devTokens = builder.AddChatAuthentication();
        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<ChatExceptionHandler>();
        builder.Services.Configure<ChatSocketOptions>(configuration.GetSection("Chat"));
        // The model (a host or a test may register its own IChatClient first: it is kept).
        builder.Services.TryAddSingleton<IChatClient>(services =>
            configuration["Assistant:Provider"]?.ToLowerInvariant() == "openai"
                ? new ChatPersistence.Samples.Console.OpenAICompatibleAssistant(
                    new HttpClient { Timeout = TimeSpan.FromMinutes(2) },
                    new Uri(configuration["Assistant:Endpoint"] is { Length: > 0 } endpoint ? endpoint : "https://api.openai.com/v1"),
                    configuration["Assistant:Model"] is { Length: > 0 } model ? model : "gpt-4o-mini",
                    configuration["Assistant:ApiKey"])
                : new StreamingOfflineAssistant(services.GetRequiredService<IOptions<ChatSocketOptions>>().Value.OfflineWordDelay));
        var limits = configuration.GetSection("Limits").Get<LimitsOptions>() ?? new LimitsOptions();
        builder.Services.Configure<LimitsOptions>(configuration.GetSection("Limits"));
        var cluster = new ClusterLimits(limits, (configuration["ChatPersistence:Store"] ?? "").Equals("postgres", StringComparison.OrdinalIgnoreCase)
            ? configuration["ChatPersistence:Postgres:ConnectionString"]
            : null);
        builder.Services.AddSingleton(cluster);
        builder.Services.AddChatRateLimiting(limits, cluster);
        builder.Services.AddSingleton<SendLimiter>();
        builder.Services.AddSingleton<PdfExportLimiter>();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = limits.MaxRequestBodyBytes);
        builder.Services.AddSingleton<ChatSocketHandler>();
        builder.Services.AddSingleton<LiveReplies>();
        builder.Services.AddSingleton<AssistantReplies>();
        builder.Services.AddHostedService<ChangeFeedListener>();
        builder.Services.AddSingleton<LogThrottle>();

        // MCP: the chat history tools over streamable HTTP at /mcp, for the same signed-in user as /api (the token's sub, as a
        // UUID exactly as the API spells it). Stateless: any instance serves any request, and each request carries its own token.
        var mcp = builder.Services.AddMcpServer(o => o.ServerInfo = new() { Name = "chat-server", Version = "1.0.0" })
            .WithHttpTransport(o => o.Stateless = true)
            .WithChatHistoryTools(o => o.UserIdFromPrincipal = ChatUser.Id);
        if (configuration.GetValue<bool>("Mcp:AllowSetFavorite"))
        {
            mcp.WithChatHistoryFavoriteTool();
        }
        if (builder.Environment.IsDevelopment())
        {
            builder.Services.AddOpenApi();
        }

        var app = builder.Build();
        cluster.Logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<ClusterLimits>();
        app.Lifetime.ApplicationStopped.Register(cluster.Dispose); // stops the permits' renewal, gives back what is left
        app.UseSecurityHeaders();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseDefaultFiles();
        app.UseStaticFiles();
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.UseOriginCheck("/mcp");
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();
        if (app.Environment.IsDevelopment())
        {
            app.MapOpenApi();
        }

        if (devTokens is not null)
        {
            ServerLog.DevTokensEnabled(app.Logger);
            app.MapPost("/dev/token", (DevTokenRequest request, IOptions<AuthOptions> auth) =>
            {
                var name = request.Name?.Trim();
                if (string.IsNullOrEmpty(name) || name.Length > 64)
                {
                    return Results.Problem(statusCode: 400, title: "Invalid name", detail: "name is required (1-64 characters).");
                }

                var user = DevTokenIssuer.UserId(name);
                return Results.Ok(new { token = devTokens.Issue(user, name, auth.Value.Audience, TimeSpan.FromHours(12)), userId = user, name });
            }).WithSummary("Development only: a local access token for a user name.");
        }

        app.MapGet("/api/me", (ClaimsPrincipal user) => Results.Ok(new { userId = ChatUser.Id(user), name = user.FindFirstValue("name") ?? user.FindFirstValue("email") }))
            .RequireAuthorization().RequireRateLimiting(ChatRateLimiting.ApiPolicy);
        app.MapChatApi();
        app.MapMcp("/mcp").RequireAuthorization(ChatAuthentication.McpPolicy).RequireRateLimiting(ChatRateLimiting.McpPolicy);
        app.Map("/ws/chat", (HttpContext context, ChatSocketHandler handler) => handler.HandleAsync(context))
            .RequireAuthorization().RequireRateLimiting(ChatRateLimiting.SocketsPolicy);
        return app;
    }
}
