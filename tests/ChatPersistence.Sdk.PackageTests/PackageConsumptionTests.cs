using ChatPersistence.Sdk.PostgresTesting;
using ChatPersistence.Sdk.PostgrestTesting;
using FluentAssertions;
using Npgsql;
using Xunit;

namespace ChatPersistence.Sdk.PackageTests;

/// <summary>
/// Every package, as a user gets it: one fresh app per package restores it from the packed feed (with nothing else of this
/// repository), builds with warnings as errors and makes one real call — an in-memory chat, a SQLite file, the PostgreSQL
/// migration applied from the files the package put in the app's output, the Supabase store against the PostgREST test
/// server, the AI decorator over a fake model, the MCP tool list, a PDF export and the cache.
/// </summary>
[Collection(PackedFeedGroup.Name)]
public sealed class PackageConsumptionTests(PackedFeed feed)
{
    private static readonly string DependencyInjection = PackedFeed.CentralVersion("Microsoft.Extensions.DependencyInjection");

    [Fact]
    public void Every_src_project_is_packed_with_readme_license_docs_and_symbols()
    {
        feed.PackageIds.Should().Contain(["ChatPersistence.Sdk", "ChatPersistence.Sdk.Caching", "ChatPersistence.Sdk.Sqlite", "ChatPersistence.Sdk.Postgres",
            "ChatPersistence.Sdk.Supabase", "ChatPersistence.Sdk.AI", "ChatPersistence.Sdk.Mcp", "ChatPersistence.Sdk.Export.Pdf"]);
        foreach (var id in feed.PackageIds)
        {
            File.Exists(Path.Combine(feed.Folder, $"{id}.{feed.Version}.snupkg")).Should().BeTrue($"{id} publishes symbols");
            using var zip = System.IO.Compression.ZipFile.OpenRead(Path.Combine(feed.Folder, $"{id}.{feed.Version}.nupkg"));
            zip.Entries.Select(e => e.FullName).Should().Contain(["README.md", "LICENSE", $"lib/net10.0/{id}.dll", $"lib/net10.0/{id}.xml"], id);
        }
    }

    [Fact]
    public async Task Core_in_memory()
    {
        using var app = await FreshApp.CreateAsync(feed, """
            using ChatPersistence.Sdk;
            using Microsoft.Extensions.DependencyInjection;

            var services = new ServiceCollection();
            services.AddChatPersistence().UseInMemory();
            using var provider = services.BuildServiceProvider();
            var store = provider.GetRequiredService<IChatSessionStore>();
            var session = await store.GetOrCreateSessionAsync("alice", "wf");
            await store.AppendMessagesAsync("alice", session.Id, [NewChatMessage.User("Olá do pacote")]);
            var page = await store.GetMessagesAsync("alice", session.Id);
            Console.WriteLine($"consumed: {page.Messages.Count} {page.Messages[0].Content}");
            """, [("ChatPersistence.Sdk", feed.Version), ("Microsoft.Extensions.DependencyInjection", DependencyInjection)]);

        (await app.RunAsync()).Should().Contain("consumed: 1 Olá do pacote");
    }

    [Fact]
    public async Task Sqlite_file_and_a_package_graph_with_no_container_and_no_cache()
    {
        using var app = await FreshApp.CreateAsync(feed, """
            using ChatPersistence.Sdk;
            using ChatPersistence.Sdk.Sqlite;

            var path = Path.Combine(AppContext.BaseDirectory, "chat.db");
            await using (var store = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = path }))
            {
                var session = await store.GetOrCreateSessionAsync("alice", "wf");
                await store.AppendMessageAsync("alice", session.Id, NewChatMessage.User("guardado"));
            }

            await using (var reopened = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = path }))
            {
                var session = await reopened.GetOrCreateSessionAsync("alice", "wf");
                Console.WriteLine($"sqlite: {(await reopened.GetMessagesAsync("alice", session.Id)).Messages[0].Content}");
            }
            """, [("ChatPersistence.Sdk.Sqlite", feed.Version)]);

        (await app.RunAsync()).Should().Contain("sqlite: guardado");
        var graph = await app.ListPackagesAsync();
        graph.Should().Contain("ChatPersistence.Sdk ").And.Contain("Microsoft.Data.Sqlite");
        // The design card's promise: the core depends on abstractions only; the DI container and the caches are the host's choice.
        graph.Should().NotContainAny("Microsoft.Extensions.DependencyInjection ", "Microsoft.Extensions.Caching.Hybrid", "Microsoft.Extensions.Caching.Memory");
    }

    [Fact]
    public async Task Caching_over_the_in_memory_store()
    {
        using var app = await FreshApp.CreateAsync(feed, """
            using ChatPersistence.Sdk;
            using Microsoft.Extensions.DependencyInjection;

            var services = new ServiceCollection();
            services.AddChatPersistence().UseInMemory().UseCaching(o => o.Expiration = TimeSpan.FromMinutes(1));
            await using var provider = services.BuildServiceProvider();
            var store = provider.GetRequiredService<IChatSessionStore>();
            var session = await store.GetOrCreateSessionAsync("alice", "wf");
            await store.AppendMessageAsync("alice", session.Id, NewChatMessage.User("cached"));
            var first = await store.GetMessagesAsync("alice", session.Id);
            var second = await store.GetMessagesAsync("alice", session.Id);
            Console.WriteLine($"caching: {second.Messages.Count} {ReferenceEquals(first, second) || first.Messages[0].Id == second.Messages[0].Id}");
            """, [("ChatPersistence.Sdk.Caching", feed.Version)]);

        (await app.RunAsync()).Should().Contain("caching: 1 True");
    }

    [Fact]
    public async Task Postgres_migration_applied_from_the_packages_own_files()
    {
        var cluster = await PostgresCluster.GetAsync();
        var database = await cluster.CreateSupabaseLikeDatabaseAsync();
        var user = await CreateAuthUserAsync(cluster.ConnectionString(database));

        using var app = await FreshApp.CreateAsync(feed, """
            using ChatPersistence.Sdk;
            using Microsoft.Extensions.DependencyInjection;
            using Npgsql;

            // The package copies its migrations to the app's output (migrations/*.sql), as for psql or `supabase db push`.
            var files = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "migrations"), "*.sql").Order(StringComparer.Ordinal).ToList();
            await using (var owner = NpgsqlDataSource.Create(Environment.GetEnvironmentVariable("OWNER_CONNECTION")!))
            {
                foreach (var file in files)
                {
                    await using var command = owner.CreateCommand(await File.ReadAllTextAsync(file));
                    await command.ExecuteNonQueryAsync();
                }
            }

            var services = new ServiceCollection();
            services.AddChatPersistence().UsePostgres(Environment.GetEnvironmentVariable("OWNER_CONNECTION")!);
            await using var provider = services.BuildServiceProvider();
            var store = provider.GetRequiredService<IChatSessionStore>();
            var user = Environment.GetEnvironmentVariable("USER_ID")!;
            var session = await store.GetOrCreateSessionAsync(user, "wf");
            await store.AppendMessageAsync(user, session.Id, NewChatMessage.User("no servidor"));
            Console.WriteLine($"postgres: {files.Count} migrations; {(await store.GetMessagesAsync(user, session.Id)).Messages[0].Content}");
            """, [("ChatPersistence.Sdk.Postgres", feed.Version), ("Microsoft.Extensions.DependencyInjection", DependencyInjection)]);

        var output = await app.RunAsync(new Dictionary<string, string>
        {
            ["OWNER_CONNECTION"] = cluster.OwnerConnectionString(database),
            ["USER_ID"] = user.ToString(),
        });

        output.Should().Contain($"postgres: {Directory.GetFiles(Path.Combine(PackedFeed.RepositoryRoot, "supabase", "migrations"), "*.sql").Length} migrations; no servidor");
        Directory.GetFiles(app.Folder, "*.sql", SearchOption.TopDirectoryOnly).Should().BeEmpty();
    }

    [Fact]
    public async Task Supabase_against_the_PostgREST_test_server()
    {
        var cluster = await PostgresCluster.GetAsync();
        var database = await cluster.CreateDatabaseAsync();
        await using var server = await PostgrestTestServer.StartAsync(new PostgrestTestServerOptions { ConnectionString = cluster.ConnectionString(database) });
        var user = await CreateAuthUserAsync(cluster.ConnectionString(database));

        using var app = await FreshApp.CreateAsync(feed, """
            using ChatPersistence.Sdk;
            using Microsoft.Extensions.DependencyInjection;

            var services = new ServiceCollection();
            services.AddChatPersistence().UseSupabase(o =>
            {
                o.Url = new Uri(Environment.GetEnvironmentVariable("SUPABASE_URL")!);
                o.SecretKey = Environment.GetEnvironmentVariable("SUPABASE_SECRET_KEY");
            });
            await using var provider = services.BuildServiceProvider();
            var store = provider.GetRequiredService<IChatSessionStore>();
            var user = Environment.GetEnvironmentVariable("USER_ID")!;
            var session = await store.GetOrCreateSessionAsync(user, "wf");
            await store.AppendMessageAsync(user, session.Id, NewChatMessage.User("pela API"));
            Console.WriteLine($"supabase: {(await store.GetMessagesAsync(user, session.Id)).Messages[0].Content}");
            """, [("ChatPersistence.Sdk.Supabase", feed.Version), ("Microsoft.Extensions.DependencyInjection", DependencyInjection)]);

        var output = await app.RunAsync(new Dictionary<string, string>
        {
            ["SUPABASE_URL"] = server.Url.ToString(),
            ["SUPABASE_SECRET_KEY"] = server.SecretKey,
            ["USER_ID"] = user.ToString(),
        });

        output.Should().Contain("supabase: pela API");
    }

    [Fact]
    public async Task AI_decorator_over_a_fake_model()
    {
        using var app = await FreshApp.CreateAsync(feed, """
            using ChatPersistence.Sdk;
            using ChatPersistence.Sdk.AI;
            using Microsoft.Extensions.AI;
            using Microsoft.Extensions.DependencyInjection;

            var services = new ServiceCollection();
            services.AddChatPersistence().UseInMemory();
            await using var provider = services.BuildServiceProvider();
            var store = provider.GetRequiredService<IChatSessionStore>();
            IChatClient chat = new ChatClientBuilder(new EchoModel()).UseChatPersistence(store).Build(provider);
            var options = new ChatOptions().WithChatConversation("alice", "wf");
            await chat.GetResponseAsync("primeira", options);
            var reply = await chat.GetResponseAsync("segunda", options);
            var session = await store.GetOrCreateSessionAsync("alice", "wf");
            Console.WriteLine($"ai: {reply.Text}; stored {(await store.GetMessagesAsync("alice", session.Id)).Messages.Count}");

            sealed class EchoModel : IChatClient
            {
                public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
                    Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, $"saw {messages.Count()} messages")));

                public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
                    throw new NotSupportedException();

                public object? GetService(Type serviceType, object? serviceKey = null) => null;

                public void Dispose()
                {
                }
            }
            """, [("ChatPersistence.Sdk.AI", feed.Version), ("Microsoft.Extensions.DependencyInjection", DependencyInjection)]);

        // The second turn is sent with the first question and answer loaded from the store.
        (await app.RunAsync()).Should().Contain("ai: saw 3 messages; stored 4");
    }

    [Fact]
    public async Task MCP_tool_list()
    {
        using var app = await FreshApp.CreateAsync(feed, """
            using Microsoft.Extensions.DependencyInjection;
            using ModelContextProtocol.Server;

            var services = new ServiceCollection();
            services.AddChatPersistence().UseInMemory();
            services.AddMcpServer().WithChatHistoryTools(o => o.UserId = "alice");
            await using var provider = services.BuildServiceProvider();
            Console.WriteLine("mcp: " + string.Join(",", provider.GetServices<McpServerTool>().Select(t => t.ProtocolTool.Name).Order(StringComparer.Ordinal)));
            """, [("ChatPersistence.Sdk.Mcp", feed.Version), ("Microsoft.Extensions.DependencyInjection", DependencyInjection)]);

        (await app.RunAsync()).Should().Contain("mcp: ").And.Contain("search_chat_history").And.Contain("get_chat_messages");
    }

    [Fact]
    public async Task PDF_export()
    {
        using var app = await FreshApp.CreateAsync(feed, """
            using ChatPersistence.Sdk;
            using ChatPersistence.Sdk.Export.Pdf;

            var store = new InMemoryChatSessionStore();
            var session = await store.GetOrCreateSessionAsync("alice", "wf");
            await store.AppendMessageAsync("alice", session.Id, NewChatMessage.User("Exportação com acentos e emoji 🎉"));
            using var pdf = new MemoryStream();
            var written = await store.ExportPdfAsync("alice", session.Id, pdf);
            Console.WriteLine($"pdf: {written} {System.Text.Encoding.ASCII.GetString(pdf.ToArray(), 0, 5)}");
            """, [("ChatPersistence.Sdk.Export.Pdf", feed.Version)]);

        (await app.RunAsync()).Should().Contain("pdf: 1 %PDF-");
    }

    // A user of the Supabase-like database (the sessions' user_id references auth.users there).
    private static async Task<Guid> CreateAuthUserAsync(string connectionString)
    {
        var user = Guid.NewGuid();
        await using var admin = NpgsqlDataSource.Create(connectionString);
        await using var insert = admin.CreateCommand($"insert into auth.users (id, email) values ('{user}', '{user:N}@example.test')");
        await insert.ExecuteNonQueryAsync();
        return user;
    }
}
