using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ChatPersistence.Sdk.Sqlite;
using FluentAssertions;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace ChatPersistence.Sdk.AI.Tests;

/// <summary>
/// Issue 17: every turn the model answered is kept. Each script runs three ways — Agent Framework's own
/// <see cref="InMemoryChatHistoryProvider"/> (the reference), a <see cref="ChatClientAgent"/> with the persistent provider, and the
/// <c>UseChatPersistence()</c> decorator — over the in-memory store, a SQLite file, PostgreSQL and Supabase (through the
/// PostgREST-compatible test server, secret key), with a new host (a restart) before every turn. The stored history and every
/// request the model received must be the reference's.
/// </summary>
public sealed class TurnKeepingTests : IDisposable, IAsyncLifetime
{
    // A UUID user id, as the PostgreSQL and Supabase stores require.
    private static readonly ChatConversationKey Key = new("a11ce000-0000-4000-8000-000000000017", "wf-17");
    private string? _database;
    private ChatPersistence.Sdk.PostgresTesting.PostgresCluster? _cluster;
    private ChatPersistence.Sdk.PostgrestTesting.PostgrestTestServer? _supabase;
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chat-turns-" + Guid.NewGuid().ToString("N"));
    private readonly InMemoryChatSessionStore _memory = new();

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var script in new[] { "image", "nul-tool-result", "same-message-twice", "repeated-provider-ids" })
        {
            data.Add(script, "memory");
            data.Add(script, "sqlite");
            data.Add(script, "postgres");
            data.Add(script, "supabase");
        }

        return data;
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_supabase is not null)
        {
            await _supabase.DisposeAsync();
        }
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (IOException)
        {
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task An_agent_run_stores_and_sends_what_the_in_memory_history_does(string script, string store)
    {
        var expected = await RunReferenceAsync(TurnScript.Create(script));

        var actual = await RunAgentAsync(TurnScript.Create(script), store);

        ShouldMatch(actual, expected);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task A_decorator_run_stores_and_sends_what_the_in_memory_history_does(string script, string store)
    {
        var expected = await RunReferenceAsync(TurnScript.Create(script));

        var actual = await RunDecoratorAsync(TurnScript.Create(script), store);

        ShouldMatch(actual, expected);
    }

    [Fact]
    public async Task Caller_and_model_objects_are_not_changed_and_provider_ids_stay_data()
    {
        var script = TurnScript.SameMessageTwice();
        await RunDecoratorAsync(script, "memory");
        script.Turns.SelectMany(t => t).Should().OnlyContain(m => m.MessageId == null && m.CreatedAt == null);

        var ids = TurnScript.RepeatedProviderIds();
        await RunAgentAsync(ids, "sqlite");
        var stored = await StoredAsync("sqlite");
        stored.Where(m => m.Role == ChatMessageRole.Assistant).Select(m => m.ToChatMessage().MessageId).Should().Equal("msg-1", "msg-1", "msg-1");
        stored.Select(m => m.Id).Should().OnlyHaveUniqueItems();
    }

    [Theory]
    [InlineData("memory")]
    [InlineData("sqlite")]
    public async Task An_image_over_the_inline_limit_becomes_a_placeholder_and_the_turn_is_kept(string store)
    {
        var big = TurnScript.Image(900 * 1024);
        var actual = await RunDecoratorAsync(big, store);

        var stored = await StoredAsync(store);
        stored.Select(m => m.Role).Should().Equal(ChatMessageRole.User, ChatMessageRole.Assistant, ChatMessageRole.User, ChatMessageRole.Assistant);
        var question = stored[0].ToChatMessage();
        question.Contents.OfType<DataContent>().Should().BeEmpty();
        var placeholder = question.Contents.OfType<TextContent>().Last();
        placeholder.Text.Should().Be($"[chat.omitted: image/png \"cat.png\" of {900 * 1024} bytes not stored, over the inline limit of {PersistentChatClientOptions.DefaultMaxInlineDataBytes} bytes]");
        placeholder.AdditionalProperties![ChatMessageMetadataKeys.OmittedProperty]!.ToString().Should().Be("data");
        stored[0].Content.Should().StartWith("what is in this picture?[chat.omitted: image/png");
        actual.Requests[0].Should().Contain(r => r.Contains("\"$type\":\"data\""), "the model got the image itself on its turn");
        actual.Requests[1].Should().Contain(r => r.Contains("chat.omitted"), "later turns carry the placeholder");
    }

    [Fact]
    public async Task An_agent_request_the_store_cannot_keep_fails_before_the_model_is_called()
    {
        var model = new FakeChatClient();
        await using var host = TestHost.Start(_ => _memory, model);
        var provider = host.GetRequiredService<PersistentChatHistoryProvider>();
        var agent = new ChatClientAgent(model, new ChatClientAgentOptions { ChatHistoryProvider = provider });
        var session = await agent.CreateSessionAsync();
        provider.SetConversation(session, Key);

        var act = () => agent.RunAsync(new string('x', ChatPersistenceLimits.DefaultMaxContentBytes + 1), session);

        (await act.Should().ThrowAsync<ArgumentException>()).Which.Message.Should().Contain("Nothing was sent to the model");
        model.Requests.Should().BeEmpty();
    }

    [Fact]
    public async Task A_reducer_shrinks_what_the_model_receives_and_keeps_what_is_stored()
    {
        var model = new FakeChatClient();
        var provider = new PersistentChatHistoryProvider(_memory, new() { ChatReducer = new MessageCountingChatReducer(2) });
        var agent = new ChatClientAgent(model, new ChatClientAgentOptions { ChatHistoryProvider = provider });
        var session = await agent.CreateSessionAsync();
        provider.SetConversation(session, Key);
        var chat = new ChatClientBuilder(model).UseChatPersistence(_memory).UseChatReducer(new MessageCountingChatReducer(3)).Build();

        for (var i = 0; i < 3; i++)
        {
            await agent.RunAsync($"agent {i}", session);
        }

        for (var i = 0; i < 3; i++)
        {
            await chat.GetResponseAsync($"decorator {i}", TestHost.Conversation("bob", "wf-r"));
        }

        model.Requests[2].Select(m => m.Text).Should().Equal(["agent 1", FakeChatClient.ReplyText(2, "agent 1"), "agent 2"], "the reducer keeps 2 of the 4 stored messages, then the new question follows");
        model.Requests[5].Should().HaveCount(3, "the reducer in the decorator's pipeline cuts the whole request to 3");
        (await StoredAsync("memory")).Should().HaveCount(6, "nothing stored is deleted");
        var bob = await _memory.GetOrCreateSessionAsync("bob", "wf-r");
        bob.MessageCount.Should().Be(6);
    }

    /// <summary>Asserts on the first difference, so a failure shows two messages rather than two conversations.</summary>
    private static void ShouldMatch(Run actual, Run expected)
    {
        for (var i = 0; i < Math.Min(actual.Requests.Count, expected.Requests.Count); i++)
        {
            for (var j = 0; j < Math.Min(actual.Requests[i].Count, expected.Requests[i].Count); j++)
            {
                actual.Requests[i][j].Should().Be(expected.Requests[i][j], $"message {j} of request {i} must be the reference's");
            }

            actual.Requests[i].Should().HaveSameCount(expected.Requests[i], $"request {i} must hold the reference's messages");
        }

        actual.Requests.Should().HaveSameCount(expected.Requests, "the model must be called as often as with the reference");
        for (var j = 0; j < Math.Min(actual.Stored.Count, expected.Stored.Count); j++)
        {
            actual.Stored[j].Should().Be(expected.Stored[j], $"stored message {j} must be the reference's");
        }

        actual.Stored.Should().HaveSameCount(expected.Stored);
    }

    private async Task<Run> RunReferenceAsync(TurnScript script)
    {
        var model = new FakeChatClient { Script = script.Model };
        var agent = new ChatClientAgent(model, new ChatClientAgentOptions { ChatOptions = new ChatOptions { Tools = script.Tools } });
        var session = await agent.CreateSessionAsync();
        foreach (var turn in script.Turns)
        {
            await agent.RunAsync(turn, session);
        }

        session.TryGetInMemoryChatHistory(out var messages).Should().BeTrue();
        return new Run(Describe(model.Requests), [.. messages!.Select(Describe)]);
    }

    private async Task<Run> RunAgentAsync(TurnScript script, string store)
    {
        var model = new FakeChatClient { Script = script.Model };
        JsonElement? serialized = null;
        foreach (var turn in script.Turns)
        {
            await using var host = StartHost(store, model);
            var provider = host.GetRequiredService<PersistentChatHistoryProvider>();
            var agent = new ChatClientAgent(model, new ChatClientAgentOptions { ChatHistoryProvider = provider, ChatOptions = new ChatOptions { Tools = script.Tools } });
            AgentSession session;
            if (serialized is { } state)
            {
                session = await agent.DeserializeSessionAsync(state);
            }
            else
            {
                session = await agent.CreateSessionAsync();
                provider.SetConversation(session, Key);
            }

            await agent.RunAsync(turn, session);
            serialized = await agent.SerializeSessionAsync(session);
        }

        return new Run(Describe(model.Requests), [.. (await StoredAsync(store)).Select(m => Describe(m.ToChatMessage()))]);
    }

    private async Task<Run> RunDecoratorAsync(TurnScript script, string store)
    {
        var model = new FakeChatClient { Script = script.Model };
        foreach (var turn in script.Turns)
        {
            await using var host = StartHost(store, model);
            using var chat = new ChatClientBuilder(model).UseChatPersistence().UseFunctionInvocation().Build(host);
            var options = new ChatOptions { Tools = script.Tools }.WithChatConversation(Key);
            await chat.GetResponseAsync(turn, options);
        }

        return new Run(Describe(model.Requests), [.. (await StoredAsync(store)).Select(m => Describe(m.ToChatMessage()))]);
    }

    private ServiceProvider StartHost(string store, FakeChatClient model) => store switch
    {
        "memory" => TestHost.Start(_ => _memory, model),
        "sqlite" => TestHost.Start(p => p.UseSqlite(Path.Combine(_folder, "chat.db")), model),
        "postgres" => TestHost.Start(p => p.UsePostgres(PostgresAsync().GetAwaiter().GetResult()), model),
        _ => TestHost.Start(p => p.UseSupabase(o => { o.Url = SupabaseAsync().GetAwaiter().GetResult().Url; o.SecretKey = _supabase!.SecretKey; }), model),
    };

    // A fresh database (Supabase-like, migrations applied) with the conversation's user, made once per test.
    private async Task<string> PostgresAsync()
    {
        if (_database is null)
        {
            _cluster = await ChatPersistence.Sdk.PostgresTesting.PostgresCluster.GetAsync();
            _database = await _cluster.CreateDatabaseAsync();
            await using var db = Npgsql.NpgsqlDataSource.Create(_cluster.ConnectionString(_database));
            await using var user = db.CreateCommand($"insert into auth.users (id) values ('{Key.UserId}')");
            await user.ExecuteNonQueryAsync();
        }

        return _cluster!.ConnectionString(_database);
    }

    private async Task<ChatPersistence.Sdk.PostgrestTesting.PostgrestTestServer> SupabaseAsync() =>
        _supabase ??= await ChatPersistence.Sdk.PostgrestTesting.PostgrestTestServer.StartAsync(new() { ConnectionString = await PostgresAsync() });

    private async Task<IReadOnlyList<StoredChatMessage>> StoredAsync(string store)
    {
        IChatSessionStore durable = store switch
        {
            "memory" => _memory,
            "sqlite" => new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = Path.Combine(_folder, "chat.db") }),
            "postgres" => new ChatPersistence.Sdk.Postgres.PostgresChatSessionStore(Npgsql.NpgsqlDataSource.Create(await PostgresAsync())),
            _ => new ChatPersistence.Sdk.Supabase.SupabaseChatSessionStore(new HttpClient(), new ChatPersistence.Sdk.Supabase.SupabaseChatStoreOptions { Url = (await SupabaseAsync()).Url, SecretKey = _supabase!.SecretKey }),
        };
        var session = await durable.GetOrCreateSessionAsync(Key.UserId, Key.WorkflowId);
        return (await durable.GetMessagesAsync(Key.UserId, session.Id, new ChatHistoryRequest { PageSize = 500 })).Messages;
    }

    private static List<List<string>> Describe(List<List<ChatMessage>> requests) => [.. requests.Select(r => r.Select(Describe).ToList())];

    /// <summary>
    /// A message as JSON without what only one side can have: the store's GUID ids and times, and Agent Framework's source stamp
    /// on history messages (the decorator does not stamp). Binary data is shown by its hash, so differences stay readable.
    /// </summary>
    private static string Describe(ChatMessage message)
    {
        var node = JsonSerializer.SerializeToNode(message, AIJsonUtilities.DefaultOptions)!.AsObject();
        node.Remove("createdAt");
        if (Guid.TryParse(node["messageId"]?.GetValue<string>(), out _))
        {
            node.Remove("messageId");
        }

        if (node["additionalProperties"] is JsonObject properties)
        {
            foreach (var key in properties.Select(p => p.Key).Where(k => k.Contains("agent", StringComparison.OrdinalIgnoreCase) || k.Contains("attribution", StringComparison.OrdinalIgnoreCase)).ToList())
            {
                properties.Remove(key);
            }

            if (properties.Count == 0)
            {
                node.Remove("additionalProperties");
            }
        }

        foreach (var content in (node["contents"] as JsonArray ?? []).OfType<JsonObject>())
        {
            if (content["uri"]?.GetValue<string>() is { } uri && uri.StartsWith("data:", StringComparison.Ordinal))
            {
                content["uri"] = $"data ({uri.Length} chars, sha256 {Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(uri)))[..16]})";
            }
        }

        return node.ToJsonString();
    }

    private sealed record Run(List<List<string>> Requests, List<string> Stored);
}
