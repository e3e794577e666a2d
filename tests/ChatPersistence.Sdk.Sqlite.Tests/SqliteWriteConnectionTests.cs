using FluentAssertions;
using Microsoft.Data.Sqlite;
using Xunit;

namespace ChatPersistence.Sdk.Sqlite.Tests;

/// <summary>
/// The store keeps one write connection with prepared statements between writes: a failed write must not leave it broken
/// or half-written, and stores sharing a file must still agree on every count.
/// </summary>
public sealed class SqliteWriteConnectionTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chatpersistence-sqlite-writer-" + Guid.NewGuid().ToString("N"));

    public SqliteWriteConnectionTests() => Directory.CreateDirectory(_folder);

    private string Db => Path.Combine(_folder, "chat.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // A pooled handle may linger on some platforms; the temp folder is cleaned by the OS.
        }
    }

    [Fact]
    public async Task A_write_locked_out_by_another_connection_fails_transiently_and_the_next_append_succeeds()
    {
        var store = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = Db, BusyTimeout = TimeSpan.FromSeconds(1) });
        var session = await store.GetOrCreateSessionAsync("ana", "locked");
        await store.AppendMessageAsync("ana", session.Id, NewChatMessage.User("before the lock"));
        var message = NewChatMessage.User("waits for the lock");
        await using (var other = new SqliteConnection($"Data Source={Db};Pooling=False"))
        {
            await other.OpenAsync();
            await using (var begin = other.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE";
                await begin.ExecuteNonQueryAsync();
            }

            var locked = () => store.AppendMessageAsync("ana", session.Id, message);
            (await locked.Should().ThrowAsync<ChatPersistenceException>()).Which.IsTransient.Should().BeTrue();
        }

        (await store.AppendMessageAsync("ana", session.Id, message)).Id.Should().Be(message.Id);
        var after = await store.GetSessionAsync("ana", session.Id);
        after!.MessageCount.Should().Be(2);
        (await store.GetMessagesAsync("ana", session.Id)).Messages.Select(m => m.Content).Should().Equal("before the lock", "waits for the lock");
    }

    [Fact]
    public async Task A_conflict_rolls_the_batch_back_and_the_next_append_on_the_same_connection_counts_right()
    {
        var store = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = Db });
        var session = await store.GetOrCreateSessionAsync("ana", "conflict");
        var first = await store.AppendMessageAsync("ana", session.Id, NewChatMessage.User("first"));

        var batch = new[] { NewChatMessage.User("new one"), NewChatMessage.User("changed") with { Id = first.Id } };
        var conflict = () => store.AppendMessagesAsync("ana", session.Id, batch);
        await conflict.Should().ThrowAsync<ChatConflictException>();

        await store.AppendMessageAsync("ana", session.Id, NewChatMessage.Assistant("second"));
        (await store.GetSessionAsync("ana", session.Id))!.MessageCount.Should().Be(2);
        (await store.GetMessagesAsync("ana", session.Id)).Messages.Select(m => m.Content).Should().Equal("first", "second");
    }

    [Fact]
    public async Task Two_stores_on_one_file_append_to_one_session_and_agree_on_count_and_order()
    {
        var one = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = Db });
        var two = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = Db });
        var session = await one.GetOrCreateSessionAsync("ana", "shared");
        var writes = Enumerable.Range(0, 40)
            .Select(i => Task.Run(() => (i % 2 == 0 ? one : two).AppendMessageAsync("ana", session.Id, NewChatMessage.User($"message {i}"))))
            .ToArray();
        var stored = await Task.WhenAll(writes);

        var after = await two.GetSessionAsync("ana", session.Id);
        after!.MessageCount.Should().Be(40);
        after.LastMessageAt.Should().Be(stored.MaxBy(m => m.Sequence)!.CreatedAt);
        var history = await one.GetMessagesAsync("ana", session.Id, new ChatHistoryRequest { PageSize = 100, Start = ChatHistoryStart.Oldest });
        history.Messages.Select(m => m.Sequence).Should().BeInAscendingOrder().And.Equal(stored.Select(m => m.Sequence).Order());
    }
}
