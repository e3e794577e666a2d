using System.Globalization;
using System.Text;
using ChatPersistence.Sdk.Sqlite.Internal;
using FluentAssertions;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace ChatPersistence.Sdk.Sqlite.Tests;

/// <summary>
/// How the SQLite store keeps a reply while it streams (issue 26), seen in the file: chunk rows appended per flush and
/// compacted once at the end, two stores on one file (what another process sees), and the upgrade of a file of schema 2.
/// </summary>
public sealed class SqliteReplyStorageTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chatpersistence-sqlite-replies-" + Guid.NewGuid().ToString("N"));
    private readonly List<SqliteChatSessionStore> _stores = [];

    public SqliteReplyStorageTests() => Directory.CreateDirectory(_folder);

    private string Db => Path.Combine(_folder, "chat.db");

    public void Dispose()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
        }

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
    public async Task A_second_store_on_the_file_sees_a_prefix_while_the_writer_grows_and_can_stop_it()
    {
        var writer = NewStore();
        var reader = NewStore();
        var session = await writer.GetOrCreateSessionAsync("ana", "two-stores");
        await writer.AppendMessageAsync("ana", session.Id, NewChatMessage.User("Conte uma história."));
        var reply = await writer.BeginReplyAsync("ana", session.Id, new NewChatReply());

        var written = new StringBuilder();
        long known = 0;
        foreach (var chunk in new[] { "Era uma vez ", "um dragão 🐉 ", "que\0guardava ", "um tesouro." })
        {
            await writer.GrowReplyAsync("ana", reply.Id, written.Length, chunk);
            written.Append(chunk);

            var page = await reader.GetMessagesAsync("ana", session.Id);
            page.Messages[^1].Id.Should().Be(reply.Id);
            page.Messages[^1].Status.Should().Be(ChatReplyStatus.Streaming);
            page.Messages[^1].Content.Should().Be(written.ToString());

            // The reader resumes from what it has: only the rest comes back.
            var rest = await reader.ReadReplyAsync("ana", reply.Id, known);
            rest.Offset.Should().Be(known);
            rest.Text.Should().Be(written.ToString()[(int)known..]);
            rest.Length.Should().Be(written.Length);
            known = rest.Length;
        }

        // Stop pressed where the reader runs reaches the writer through the file.
        (await reader.StopReplyAsync("ana", reply.Id)).Reason.Should().Be(ChatReplyReason.StopRequested);
        (await writer.GrowReplyAsync("ana", reply.Id, written.Length, "")).StopRequested.Should().BeTrue();
        await writer.FinishReplyAsync("ana", reply.Id, new ChatReplyFinish { Status = ChatReplyStatus.Stopped, Reason = ChatReplyReason.StopRequested });

        var ended = (await reader.GetMessagesAsync("ana", session.Id)).Messages[^1];
        ended.Status.Should().Be(ChatReplyStatus.Stopped);
        ended.Content.Should().Be(written.ToString());
        (await reader.ReadReplyAsync("ana", reply.Id, 4)).Text.Should().Be(written.ToString()[4..]);
    }

    [Fact]
    public async Task Each_flush_appends_one_chunk_and_the_end_compacts_them_into_the_message_once()
    {
        var store = NewStore();
        var session = await store.GetOrCreateSessionAsync("ana", "chunks");
        var reply = await store.BeginReplyAsync("ana", session.Id, new NewChatReply());
        string[] flushes = ["um ", "dois ", "três ", "quatro"];
        var offset = 0;
        foreach (var text in flushes)
        {
            await store.GrowReplyAsync("ana", reply.Id, offset, text);
            await store.GrowReplyAsync("ana", reply.Id, offset, text); // a retried flush writes nothing
            offset += text.Length;
        }

        (await Scalar("SELECT count(*) FROM chat_reply_chunks")).Should().Be(flushes.Length);
        (await Text("SELECT content FROM chat_messages WHERE id = $id", reply.Id)).Should().BeEmpty("the growing text is never written into the message row");

        await store.FinishReplyAsync("ana", reply.Id, new ChatReplyFinish { Status = ChatReplyStatus.Complete, Offset = offset, Text = "." });
        (await Scalar("SELECT count(*) FROM chat_reply_chunks")).Should().Be(0);
        (await Text("SELECT content FROM chat_messages WHERE id = $id", reply.Id)).Should().Be("um dois três quatro.");
        (await Scalar("SELECT count(*) FROM chat_messages WHERE id = $id AND status IS NULL AND lease_ms IS NULL", reply.Id)).Should().Be(1, "a complete reply is stored as any message");
    }

    [Fact]
    public async Task Streaming_text_is_searchable_only_once_the_reply_ends()
    {
        var store = NewStore();
        var session = await store.GetOrCreateSessionAsync("ana", "search");
        var reply = await store.BeginReplyAsync("ana", session.Id, new NewChatReply());
        await store.GrowReplyAsync("ana", reply.Id, 0, "quasar nebulosa");
        (await store.SearchAsync("ana", new ChatSearchRequest("quasar"))).Items.Should().BeEmpty();

        await store.FinishReplyAsync("ana", reply.Id, new ChatReplyFinish { Status = ChatReplyStatus.Complete });
        (await store.SearchAsync("ana", new ChatSearchRequest("quasar"))).Items.Select(h => h.Message.Id).Should().Equal(reply.Id);
        await Query("INSERT INTO chat_messages_fts (chat_messages_fts, rank) VALUES ('integrity-check', 1)", null); // throws when the index disagrees with the table

        await store.ClearSessionAsync("ana", session.Id);
        (await store.SearchAsync("ana", new ChatSearchRequest("quasar"))).Items.Should().BeEmpty();
        await Query("INSERT INTO chat_messages_fts (chat_messages_fts, rank) VALUES ('integrity-check', 1)", null);
    }

    [Fact]
    public async Task Clearing_or_deleting_a_session_removes_the_chunks_of_its_live_reply()
    {
        var store = NewStore();
        var cleared = await store.GetOrCreateSessionAsync("ana", "cleared");
        var deleted = await store.GetOrCreateSessionAsync("ana", "deleted");
        var first = await store.BeginReplyAsync("ana", cleared.Id, new NewChatReply());
        var second = await store.BeginReplyAsync("ana", deleted.Id, new NewChatReply());
        await store.GrowReplyAsync("ana", first.Id, 0, "a");
        await store.GrowReplyAsync("ana", second.Id, 0, "b");

        await store.ClearSessionAsync("ana", cleared.Id);
        await store.DeleteSessionAsync("ana", deleted.Id);

        (await Scalar("SELECT count(*) FROM chat_reply_chunks")).Should().Be(0);
        await FluentActions.Awaiting(() => store.GrowReplyAsync("ana", second.Id, 1, "c")).Should().ThrowAsync<ChatNotFoundException>();
    }

    [Fact]
    public async Task Retention_settles_a_reply_whose_writer_vanished_and_then_may_delete_its_idle_session()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 6, 12, 0, 0, TimeSpan.Zero));
        var store = NewStore(clock);
        var session = await store.GetOrCreateSessionAsync("ana", "vanished");
        var reply = await store.BeginReplyAsync("ana", session.Id, new NewChatReply { Lease = TimeSpan.FromSeconds(30) });
        await store.GrowReplyAsync("ana", reply.Id, 0, "meia resposta");

        clock.Advance(TimeSpan.FromSeconds(20));
        (await store.DeleteIdleSessionsAsync(clock.GetUtcNow())).Should().Be(0, "the reply is live: its writer made progress within the lease");
        (await Scalar("SELECT count(*) FROM chat_reply_chunks")).Should().Be(1);

        clock.Advance(TimeSpan.FromSeconds(15));
        var read = (await store.GetMessagesAsync("ana", session.Id)).Messages.Single();
        read.Status.Should().Be(ChatReplyStatus.Interrupted, "past its lease the reply reads as ended before anything is written");
        read.Content.Should().Be("meia resposta");

        (await store.DeleteIdleSessionsAsync(session.UpdatedAt)).Should().Be(0, "nothing is idle before the cutoff");
        (await Scalar("SELECT count(*) FROM chat_reply_chunks")).Should().Be(0, "retention settled the reply");
        (await Text("SELECT content FROM chat_messages WHERE id = $id", reply.Id)).Should().Be("meia resposta");
        var settled = (await store.GetMessagesAsync("ana", session.Id)).Messages.Single();
        settled.Status.Should().Be(ChatReplyStatus.Interrupted);
        settled.Reason.Should().Be(ChatReplyReason.LeaseExpired);

        (await store.DeleteIdleSessionsAsync(clock.GetUtcNow())).Should().Be(1);
    }

    [Fact]
    public async Task A_file_of_schema_2_is_upgraded_in_place_and_its_messages_read_as_complete()
    {
        var sessionId = Guid.CreateVersion7();
        var messageId = Guid.CreateVersion7();
        await using (var connection = new SqliteConnection($"Data Source={Db};Pooling=False"))
        {
            await connection.OpenAsync();
            SqliteSchema.Ensure(connection, 2);
            await using var insert = connection.CreateCommand();
            insert.CommandText =
                "INSERT INTO chat_sessions (id, user_id, workflow_id, created_at, updated_at, message_count, last_message_at) VALUES ($s, 'ana', 'old', 1, 1, 1, 1);" +
                "INSERT INTO chat_messages (id, session_id, user_id, role, content, created_at) VALUES ($m, $s, 'ana', 'assistant', 'resposta antiga', 1);";
            insert.Parameters.AddWithValue("$s", sessionId.ToString());
            insert.Parameters.AddWithValue("$m", messageId.ToString());
            await insert.ExecuteNonQueryAsync();
        }

        var store = NewStore();
        var old = (await store.GetMessagesAsync("ana", sessionId)).Messages.Single();
        old.Id.Should().Be(messageId);
        old.Status.Should().Be(ChatReplyStatus.Complete);
        old.Reason.Should().Be(ChatReplyReason.None);
        old.LeaseExpiresAt.Should().BeNull();
        old.Content.Should().Be("resposta antiga");
        (await store.SearchAsync("ana", new ChatSearchRequest("antiga"))).Items.Should().ContainSingle();
        (await Scalar("PRAGMA user_version")).Should().Be(SqliteSchema.CurrentVersion);

        var reply = await store.BeginReplyAsync("ana", sessionId, new NewChatReply());
        await store.GrowReplyAsync("ana", reply.Id, 0, "nova");
        (await store.FinishReplyAsync("ana", reply.Id, new ChatReplyFinish { Status = ChatReplyStatus.Complete })).Content.Should().Be("nova");
        (await store.GetSessionAsync("ana", sessionId))!.MessageCount.Should().Be(2);
        var grow = await FluentActions.Awaiting(() => store.GrowReplyAsync("ana", messageId, 15, "!")).Should().ThrowAsync<ChatReplyEndedException>();
        grow.Which.Status.Should().Be(ChatReplyStatus.Complete, "a message of the old schema was never a reply in progress");
        grow.Which.Length.Should().Be(15);
    }

    private SqliteChatSessionStore NewStore(TimeProvider? clock = null)
    {
        var store = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = Db }, timeProvider: clock);
        _stores.Add(store);
        return store;
    }

    private async Task<long> Scalar(string sql, Guid? id = null) =>
        Convert.ToInt64(await Query(sql, id), CultureInfo.InvariantCulture);

    private async Task<string> Text(string sql, Guid id) => (string)(await Query(sql, id))!;

    private async Task<object?> Query(string sql, Guid? id)
    {
        await using var connection = new SqliteConnection($"Data Source={Db};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        if (id is { } value)
        {
            command.Parameters.AddWithValue("$id", value.ToString());
        }

        return await command.ExecuteScalarAsync();
    }
}
