using ChatPersistence.Sdk.Sqlite;
using FluentAssertions;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace ChatPersistence.Sdk.AI.Tests;

/// <summary>
/// The restart scenarios on a real SQLite file: each "host" is a new service provider with its own store instance over the
/// same file, so nothing but the file carries the conversation from one host to the next.
/// </summary>
public sealed class SqliteRestartTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chat-ai-" + Guid.NewGuid().ToString("N"));
    private readonly FakeChatClient _model = new();

    private string Db => Path.Combine(_folder, "chat.db");

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    [Fact]
    public async Task Decorator_third_turn_after_a_restart_sees_the_first_two_turns_from_the_file()
    {
        await using (var host = TestHost.Start(p => p.UseSqlite(Db), _model))
        {
            var chat = host.GetRequiredService<IChatClient>();
            await chat.GetResponseAsync("primeira pergunta", TestHost.Conversation("alice", "wf-1"));
            await chat.GetResponseAsync("segunda", TestHost.Conversation("alice", "wf-1"));
        }

        await using (var host = TestHost.Start(p => p.UseSqlite(Db), _model))
        {
            var chat = host.GetRequiredService<IChatClient>();
            await chat.GetResponseAsync("terceira", TestHost.Conversation("alice", "wf-1"));
        }

        _model.Requests[2].Select(m => m.Text).Should().Equal(
            "primeira pergunta", FakeChatClient.ReplyText(1, "primeira pergunta"), "segunda", FakeChatClient.ReplyText(2, "segunda"), "terceira");
        var store = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = Db });
        var session = await store.GetOrCreateSessionAsync("alice", "wf-1");
        session.MessageCount.Should().Be(6);
    }

    [Fact]
    public async Task Agent_session_serialized_then_restored_in_a_new_host_continues_from_the_file()
    {
        System.Text.Json.JsonElement serialized;
        await using (var host = TestHost.Start(p => p.UseSqlite(Db), _model))
        {
            var provider = host.GetRequiredService<PersistentChatHistoryProvider>();
            var agent = new ChatClientAgent(_model, new ChatClientAgentOptions { Name = "helper", ChatHistoryProvider = provider });
            var session = await agent.CreateSessionAsync();
            provider.SetConversation(session, new ChatConversationKey("alice", "wf-agent"));
            await agent.RunAsync("first", session);
            serialized = await agent.SerializeSessionAsync(session);
        }

        serialized.GetRawText().Should().NotContain("first");
        await using (var host = TestHost.Start(p => p.UseSqlite(Db), _model))
        {
            var provider = host.GetRequiredService<PersistentChatHistoryProvider>();
            var agent = new ChatClientAgent(_model, new ChatClientAgentOptions { Name = "helper", ChatHistoryProvider = provider });
            var session = await agent.DeserializeSessionAsync(serialized);
            await agent.RunAsync("second", session);
        }

        _model.Requests[1].Select(m => m.Text).Should().Equal("first", FakeChatClient.ReplyText(1, "first"), "second");
    }
}
