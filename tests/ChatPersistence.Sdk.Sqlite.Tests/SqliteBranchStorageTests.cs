using System.Globalization;
using ChatPersistence.Sdk.Sqlite.Internal;
using FluentAssertions;
using Microsoft.Data.Sqlite;
using Xunit;

namespace ChatPersistence.Sdk.Sqlite.Tests;

/// <summary>
/// How the SQLite store keeps branches (issue 27), seen in the file: a session that never branched writes nothing more than
/// before, a file of schema 3 upgrades in place and reads as one path, MaxVersions, and two stores on one file appending
/// under different parents at once (each store's cached run tree never serves a stale path).
/// </summary>
public sealed class SqliteBranchStorageTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chatpersistence-sqlite-branches-" + Guid.NewGuid().ToString("N"));
    private readonly List<SqliteChatSessionStore> _stores = [];

    public SqliteBranchStorageTests() => Directory.CreateDirectory(_folder);

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
    public async Task A_session_that_never_branches_stores_no_parent_and_no_tree_state()
    {
        var store = NewStore();
        var session = await store.GetOrCreateSessionAsync("ana", "linear");
        var stored = await store.AppendMessagesAsync("ana", session.Id, [NewChatMessage.User("q1"), NewChatMessage.Assistant("a1")]);
        var q2 = await store.AppendMessageAsync("ana", session.Id, NewChatMessage.User("q2"));
        var reply = await store.BeginReplyAsync("ana", session.Id, new NewChatReply());
        await store.FinishReplyAsync("ana", reply.Id, new ChatReplyFinish { Status = ChatReplyStatus.Complete, Text = "a2" });
        var named = await store.AppendMessageAsync("ana", session.Id, NewChatMessage.User("q3") with { ParentId = reply.Id });
        (await store.SwitchBranchAsync("ana", session.Id, stored[0].Id)).Changed.Should().BeFalse();

        q2.ParentId.Should().Be(stored[1].Id);
        reply.ParentId.Should().Be(q2.Id);
        named.ParentId.Should().Be(reply.Id);
        var page = await store.GetMessagesAsync("ana", session.Id, new ChatHistoryRequest { PageSize = 2 });
        page.Messages.Select(m => m.ParentId).Should().Equal(q2.Id, reply.Id);
        var older = await store.GetMessagesAsync("ana", session.Id, new ChatHistoryRequest { PageSize = 2, Cursor = page.OlderCursor });
        older.Messages.Select(m => m.ParentId).Should().Equal(stored[0].Id, stored[1].Id);
        var newer = await store.GetMessagesAsync("ana", session.Id, new ChatHistoryRequest { PageSize = 2, Cursor = older.NewerCursor });
        newer.Messages.Select(m => m.ParentId).Should().Equal(q2.Id, reply.Id);

        (await Scalar("SELECT count(*) FROM chat_messages WHERE parent_id IS NOT NULL")).Should().Be(0, "every message continues the only run");
        (await Scalar("SELECT count(*) FROM chat_runs")).Should().Be(0);
        (await Scalar("SELECT count(*) FROM chat_sessions WHERE active_run IS NOT NULL OR leaf_id IS NOT NULL OR leaf_seq IS NOT NULL OR path_version IS NOT NULL OR fork_seq IS NOT NULL")).Should().Be(0);
        (await store.GetSessionAsync("ana", session.Id))!.ActiveLeafId.Should().BeNull();
    }

    [Fact]
    public async Task A_page_and_an_append_of_a_session_that_never_branched_run_the_statements_they_ran_before_branches()
    {
        var store = NewStore();
        var statements = new List<string>();
        store.ConnectionOpened = connection => SQLitePCL.raw.sqlite3_trace(connection.Handle, (_, sql) =>
        {
            lock (statements)
            {
                statements.Add(sql);
            }
        }, null);
        var session = await store.GetOrCreateSessionAsync("ana", "statements");
        await store.AppendMessagesAsync("ana", session.Id, Enumerable.Range(0, 60).Select(i => NewChatMessage.User("m" + i)).ToArray());

        // What the store itself runs (not the transactions' BEGIN/COMMIT, the connection's PRAGMAs or the triggers' statements).
        List<string> Ran()
        {
            lock (statements)
            {
                var ran = statements.Where(s => !s.StartsWith("BEGIN", StringComparison.Ordinal) && !s.StartsWith("COMMIT", StringComparison.Ordinal)
                    && !s.StartsWith("PRAGMA", StringComparison.Ordinal) && !s.StartsWith("--", StringComparison.Ordinal)).ToList();
                statements.Clear();
                return ran;
            }
        }

        Ran();
        await store.GetMessagesAsync("ana", session.Id, new ChatHistoryRequest { PageSize = 50 });
        var page = Ran();
        page.Should().HaveCount(2, "the session's row, then one range of its messages: {0}", string.Join(" | ", page));
        page[0].Should().StartWith("SELECT active_run, leaf_id, leaf_seq").And.Contain("FROM chat_sessions");
        page[1].Should().Contain("FROM chat_messages m WHERE m.session_id = ").And.EndWith("ORDER BY m.seq DESC LIMIT 51");

        await store.AppendMessageAsync("ana", session.Id, NewChatMessage.User("one more"));
        var append = Ran();
        append.Should().HaveCount(2, "one INSERT … SELECT and one session UPDATE: {0}", string.Join(" | ", append));
        append[0].Should().StartWith("INSERT INTO chat_messages");
        append[1].Should().StartWith("UPDATE chat_sessions SET message_count");

        // Branched, the newest page along the active path is the same two statements when it lies in the last run.
        var stored = await store.GetMessagesAsync("ana", session.Id, new ChatHistoryRequest { PageSize = 2 });
        await store.AppendVersionAsync("ana", session.Id, stored.Messages[0].Id, NewChatMessage.User("m59, edited"));
        await store.AppendMessagesAsync("ana", session.Id, Enumerable.Range(0, 60).Select(i => NewChatMessage.User("n" + i)).ToArray());
        await store.GetMessagesAsync("ana", session.Id, new ChatHistoryRequest { PageSize = 50 });
        Ran();
        await store.GetMessagesAsync("ana", session.Id, new ChatHistoryRequest { PageSize = 50 });
        var branched = Ran();
        branched.Should().HaveCount(2, "the run tree is cached: {0}", string.Join(" | ", branched));
        branched[1].Should().Contain("m.seq BETWEEN");
        (await Scalar("SELECT count(*) FROM chat_runs")).Should().Be(2);
    }

    [Fact]
    public async Task A_file_of_schema_3_is_upgraded_in_place_and_reads_as_one_path()
    {
        var sessionId = Guid.CreateVersion7();
        var ids = Enumerable.Range(0, 4).Select(_ => Guid.CreateVersion7()).ToArray();
        await using (var connection = new SqliteConnection($"Data Source={Db};Pooling=False"))
        {
            await connection.OpenAsync();
            SqliteSchema.Ensure(connection, 3);
            await using var insert = connection.CreateCommand();
            insert.CommandText =
                "INSERT INTO chat_sessions (id, user_id, workflow_id, created_at, updated_at, message_count, last_message_at) VALUES ($s, 'ana', 'old', 1, 1, 4, 1);" +
                "INSERT INTO chat_messages (id, session_id, user_id, role, content, created_at) VALUES ($m0, $s, 'ana', 'user', 'pergunta antiga', 1), ($m1, $s, 'ana', 'assistant', 'resposta antiga', 1), ($m2, $s, 'ana', 'user', 'segunda pergunta', 1), ($m3, $s, 'ana', 'assistant', 'segunda resposta', 1);";
            insert.Parameters.AddWithValue("$s", sessionId.ToString());
            for (var i = 0; i < ids.Length; i++)
            {
                insert.Parameters.AddWithValue("$m" + i, ids[i].ToString());
            }

            await insert.ExecuteNonQueryAsync();
        }

        var store = NewStore();
        var page = await store.GetMessagesAsync("ana", sessionId);
        (await Scalar("PRAGMA user_version")).Should().Be(SqliteSchema.CurrentVersion);
        page.Messages.Select(m => m.Id).Should().Equal(ids);
        page.Messages.Select(m => m.ParentId).Should().Equal(null, ids[0], ids[1], ids[2]);
        page.Siblings.Should().BeEmpty();
        (await store.GetSessionAsync("ana", sessionId))!.ActiveLeafId.Should().BeNull();
        (await store.SetFavoriteAsync("ana", ids[3], true)).ParentId.Should().Be(ids[2]);
        var hit = (await store.SearchAsync("ana", new ChatSearchRequest("antiga"))).Items.Single(h => h.Message.Id == ids[1]);
        hit.Message.ParentId.Should().Be(ids[0]);
        hit.IsOnActivePath.Should().BeTrue();

        // The old data branches like any other.
        var edited = await store.AppendVersionAsync("ana", sessionId, ids[2], NewChatMessage.User("segunda pergunta, editada"));
        edited.ParentId.Should().Be(ids[1]);
        var branched = await store.GetMessagesAsync("ana", sessionId);
        branched.Messages.Select(m => m.Id).Should().Equal(ids[0], ids[1], edited.Id);
        branched.Siblings.Should().Equal(new ChatSiblingPosition(edited.Id, 1, 2));
        (await store.SwitchBranchAsync("ana", sessionId, ids[2])).LeafId.Should().Be(ids[3]);
        (await store.GetMessagesAsync("ana", sessionId)).Messages.Select(m => m.Id).Should().Equal(ids);
        (await Scalar("SELECT count(*) FROM chat_messages WHERE parent_id IS NOT NULL")).Should().Be(1, "only the new run's head stores its parent");
        (await Scalar("SELECT count(*) FROM chat_runs")).Should().Be(2);

        // Deleting the session (as retention does) takes its runs with it.
        (await store.DeleteSessionAsync("ana", sessionId)).Should().BeTrue();
        (await Scalar("SELECT count(*) FROM chat_runs")).Should().Be(0);
    }

    [Fact]
    public async Task A_batch_continuing_a_branched_path_extends_it_without_announcing_a_change()
    {
        var store = NewStore();
        var session = await store.GetOrCreateSessionAsync("ana", "batch");
        var stored = await store.AppendMessagesAsync("ana", session.Id, [NewChatMessage.User("q1"), NewChatMessage.Assistant("a1")]);
        var edited = await store.AppendVersionAsync("ana", session.Id, stored[0].Id, NewChatMessage.User("q1b"));
        (await Scalar("SELECT count(*) FROM chat_changes WHERE kind = 8")).Should().Be(1, "the edit changed the path");

        // Two prepared inserts then one under a named parent (the slow path takes over mid-batch), then a plain batch.
        var first = NewChatMessage.Assistant("a1b");
        var batch = await store.AppendMessagesAsync("ana", session.Id, [first, NewChatMessage.User("q2"), NewChatMessage.Assistant("a2") with { ParentId = null }]);
        var a3 = NewChatMessage.Assistant("a3");
        var named = await store.AppendMessagesAsync("ana", session.Id, [NewChatMessage.User("q3"), a3, NewChatMessage.User("q4") with { ParentId = a3.Id }]);
        batch.Select(m => m.ParentId).Should().Equal(edited.Id, batch[0].Id, batch[1].Id);
        named.Select(m => m.ParentId).Should().Equal(batch[2].Id, named[0].Id, named[1].Id);
        (await Scalar("SELECT count(*) FROM chat_changes WHERE kind = 8")).Should().Be(1, "every message continued the active path");
        (await store.GetSessionAsync("ana", session.Id))!.ActiveLeafId.Should().Be(named[2].Id);
        await store.AppendMessagesAsync("ana", session.Id, [NewChatMessage.User("q5"), NewChatMessage.User("q1c") with { ParentId = NewChatMessage.RootParent }]);
        (await Scalar("SELECT count(*) FROM chat_changes WHERE kind = 8")).Should().Be(2, "the new root changed the path");
        (await Scalar("SELECT fork_seq IS NULL FROM chat_changes WHERE kind = 8 ORDER BY position DESC LIMIT 1")).Should().Be(1, "two roots share nothing");

        var retried = await store.AppendMessagesAsync("ana", session.Id, [first, NewChatMessage.User("after a retry")]);
        retried[1].ParentId.Should().Be(first.Id, "an element continues the one before it, even a retried one");
        (await Scalar("SELECT count(*) FROM chat_changes WHERE kind = 8")).Should().Be(3, "a1b is not the active leaf: the path changed");
        (await store.GetMessagesAsync("ana", session.Id)).Messages.Select(m => m.Content).Should().Equal("q1b", "a1b", "after a retry");
    }

    [Fact]
    public async Task MaxVersions_refuses_one_version_too_many_and_writes_nothing()
    {
        var store = NewStore(new ChatPersistenceOptions { MaxVersions = 2 });
        var session = await store.GetOrCreateSessionAsync("ana", "versions");
        var stored = await store.AppendMessagesAsync("ana", session.Id, [NewChatMessage.User("q1"), NewChatMessage.Assistant("a1"), NewChatMessage.User("q2")]);
        var second = await store.AppendVersionAsync("ana", session.Id, stored[1].Id, NewChatMessage.Assistant("a1 again"));
        var before = await Scalar("SELECT count(*) FROM chat_messages");
        var leaf = (await store.GetSessionAsync("ana", session.Id))!.ActiveLeafId;
        leaf.Should().Be(second.Id);

        await FluentActions.Awaiting(() => store.AppendVersionAsync("ana", session.Id, stored[1].Id, NewChatMessage.Assistant("a third"))).Should().ThrowAsync<ChatConflictException>();
        await FluentActions.Awaiting(() => store.BeginReplyAsync("ana", session.Id, new NewChatReply { ParentId = stored[0].Id })).Should().ThrowAsync<ChatConflictException>();
        var x = NewChatMessage.User("x") with { ParentId = second.Id };
        await FluentActions.Awaiting(() => store.AppendMessagesAsync("ana", session.Id, [x, NewChatMessage.Assistant("y") with { ParentId = x.Id }, NewChatMessage.Assistant("z") with { ParentId = x.Id }, NewChatMessage.Assistant("w") with { ParentId = x.Id }]))
            .Should().ThrowAsync<ChatConflictException>("three answers under one message within a batch");

        // Roots: the first message and one more.
        var root = await store.AppendMessageAsync("ana", session.Id, NewChatMessage.User("another start") with { ParentId = NewChatMessage.RootParent });
        var afterRoot = await Scalar("SELECT count(*) FROM chat_messages");
        await FluentActions.Awaiting(() => store.AppendMessageAsync("ana", session.Id, NewChatMessage.User("a third start") with { ParentId = NewChatMessage.RootParent })).Should().ThrowAsync<ChatConflictException>();

        afterRoot.Should().Be(before + 1);
        (await Scalar("SELECT count(*) FROM chat_messages")).Should().Be(afterRoot, "nothing of a refused append is written");
        (await store.GetSessionAsync("ana", session.Id))!.ActiveLeafId.Should().Be(root.Id);
        (await store.GetSiblingsAsync("ana", stored[1].Id)).Versions.Should().HaveCount(2);
        (await store.GetSiblingsAsync("ana", root.Id)).Versions.Select(v => v.Id).Should().Equal(stored[0].Id, root.Id);
    }

    [Fact]
    public async Task Two_stores_on_one_file_append_under_different_parents_at_once_and_never_read_a_stale_path()
    {
        var a = NewStore();
        var b = NewStore();
        var session = await a.GetOrCreateSessionAsync("ana", "two-devices");
        var stored = await a.AppendMessagesAsync("ana", session.Id, [NewChatMessage.User("q1"), NewChatMessage.Assistant("a1"), NewChatMessage.User("q2"), NewChatMessage.Assistant("a2")]);
        var edited = await a.AppendVersionAsync("ana", session.Id, stored[2].Id, NewChatMessage.User("q2b"));

        // Both stores cache the tree, then write under parents on both branches at once.
        (await b.GetMessagesAsync("ana", session.Id)).Messages.Select(m => m.Id).Should().Equal(stored[0].Id, stored[1].Id, edited.Id);
        var writes = Enumerable.Range(0, 20).Select(i => (i % 2 == 0 ? a : b).AppendMessageAsync(
            "ana", session.Id, NewChatMessage.Assistant("x" + i) with { ParentId = i % 4 < 2 ? stored[3].Id : edited.Id })).ToArray();
        var results = await Task.WhenAll(writes);
        results.Where((_, i) => i % 4 < 2).Should().OnlyContain(m => m.ParentId == stored[3].Id);
        results.Where((_, i) => i % 4 >= 2).Should().OnlyContain(m => m.ParentId == edited.Id);

        var last = results.MaxBy(m => m.Sequence)!;
        var expected = (last.ParentId == edited.Id ? new[] { stored[0], stored[1], edited, last } : [stored[0], stored[1], stored[2], stored[3], last]).Select(m => m.Id).ToList();
        foreach (var store in new[] { a, b })
        {
            (await store.GetSessionAsync("ana", session.Id))!.ActiveLeafId.Should().Be(last.Id, "the later commit is the leaf");
            (await store.GetMessagesAsync("ana", session.Id)).Messages.Select(m => m.Id).Should().Equal(expected);
            (await store.GetSiblingsAsync("ana", results[0].Id)).Versions.Should().HaveCount(10);
        }

        // A switch through one store is what the other reads next, and its append continues the chosen branch.
        var switched = await b.SwitchBranchAsync("ana", session.Id, results[0].Id);
        switched.LeafId.Should().Be(results[0].Id);
        (await a.GetMessagesAsync("ana", session.Id)).Messages.Select(m => m.Id).Should().Equal(stored[0].Id, stored[1].Id, stored[2].Id, stored[3].Id, results[0].Id);
        var next = await a.AppendMessageAsync("ana", session.Id, NewChatMessage.User("q3"));
        next.ParentId.Should().Be(results[0].Id);
        (await b.GetMessagesAsync("ana", session.Id)).Messages.Select(m => m.Id).Should().EndWith([results[0].Id, next.Id]);
        (await b.ClearSessionAsync("ana", session.Id)).Should().Be(26);
        var again = await a.AppendMessagesAsync("ana", session.Id, [NewChatMessage.User("fresh"), NewChatMessage.Assistant("start")]);
        (await a.GetMessagesAsync("ana", session.Id)).Messages.Select(m => m.Id).Should().Equal(again.Select(m => m.Id));
        (await Scalar("SELECT count(*) FROM chat_runs")).Should().Be(0);

        // Branched again through the other store: the version goes on from where it was, so no tree cached before the clear matches.
        var edit = await b.AppendVersionAsync("ana", session.Id, again[1].Id, NewChatMessage.Assistant("start, again"));
        (await a.GetMessagesAsync("ana", session.Id)).Messages.Select(m => m.Id).Should().Equal(again[0].Id, edit.Id);
        (await a.GetSiblingsAsync("ana", edit.Id)).Versions.Select(v => v.Id).Should().Equal(again[1].Id, edit.Id);
    }

    private SqliteChatSessionStore NewStore(ChatPersistenceOptions? options = null)
    {
        var store = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = Db }, options);
        _stores.Add(store);
        return store;
    }

    private async Task<long> Scalar(string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={Db};Pooling=False");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(), CultureInfo.InvariantCulture);
    }
}
