using ChatPersistence.Sdk.PostgresTesting;
using FluentAssertions;
using Npgsql;
using Xunit;

namespace ChatPersistence.Sdk.Postgres.Tests;

/// <summary>
/// The message tree in PostgreSQL (schema version 4) beyond the conformance suite: Row Level Security over parents, leaves and
/// switch targets; the table API cannot forge a tree; data of version 3 reads identically after the migration; concurrent
/// appends under one parent from two connections.
/// </summary>
public sealed class BranchStorageTests : IAsyncLifetime
{
    private NpgsqlDataSource _admin = null!;

    public async Task InitializeAsync()
    {
        var cluster = await PostgresCluster.GetAsync();
        _admin = NpgsqlDataSource.Create(cluster.ConnectionString(await cluster.CreateDatabaseAsync()));
    }

    public async Task DisposeAsync() => await _admin.DisposeAsync();

    [Fact]
    public async Task Another_users_parent_leaf_switch_target_and_siblings_are_not_found_and_nothing_is_written()
    {
        await using var store = new PostgresChatSessionStore(_admin, new PostgresChatStoreOptions { ActAsAuthenticatedUser = true }, null);
        var alice = await NewUserAsync();
        var bob = await NewUserAsync();
        var aliceSession = await store.GetOrCreateSessionAsync(alice, "wf");
        var aliceMessages = await store.AppendMessagesAsync(alice, aliceSession.Id, [NewChatMessage.User("q"), NewChatMessage.Assistant("a")]);
        var bobSession = await store.GetOrCreateSessionAsync(bob, "wf");
        var bobMessage = await store.AppendMessageAsync(bob, bobSession.Id, NewChatMessage.User("mine"));
        var before = await ScalarAsync("select count(*) from public.chat_messages");

        await FluentActions.Awaiting(() => store.AppendMessageAsync(bob, bobSession.Id, NewChatMessage.User("x") with { ParentId = aliceMessages[0].Id }))
            .Should().ThrowAsync<ChatNotFoundException>().Where(e => e.ResourceKind == "message" && e.ResourceId == aliceMessages[0].Id);
        await FluentActions.Awaiting(() => store.BeginReplyAsync(bob, bobSession.Id, new NewChatReply { ParentId = aliceMessages[0].Id }))
            .Should().ThrowAsync<ChatNotFoundException>();
        await FluentActions.Awaiting(() => store.GetMessagesAsync(bob, bobSession.Id, new ChatHistoryRequest { LeafId = aliceMessages[1].Id }))
            .Should().ThrowAsync<ChatNotFoundException>().Where(e => e.ResourceKind == "message");
        await FluentActions.Awaiting(() => store.SwitchBranchAsync(bob, bobSession.Id, aliceMessages[0].Id))
            .Should().ThrowAsync<ChatNotFoundException>().Where(e => e.ResourceKind == "message");
        await FluentActions.Awaiting(() => store.SwitchBranchAsync(bob, aliceSession.Id, aliceMessages[0].Id))
            .Should().ThrowAsync<ChatNotFoundException>();
        await FluentActions.Awaiting(() => store.GetSiblingsAsync(bob, aliceMessages[1].Id))
            .Should().ThrowAsync<ChatNotFoundException>();

        (await ScalarAsync("select count(*) from public.chat_messages")).Should().Be(before);
        (await ScalarAsync($"select count(*) from public.chat_sessions where leaf_id is not null and id in ('{aliceSession.Id}', '{bobSession.Id}')")).Should().Be(0L);
        (await store.GetSiblingsAsync(bob, bobMessage.Id)).Versions.Should().ContainSingle();
    }

    [Fact]
    public async Task The_table_api_cannot_forge_a_tree_and_a_direct_insert_continues_the_active_path()
    {
        await using var store = new PostgresChatSessionStore(_admin);
        var user = await NewUserAsync();
        var session = await store.GetOrCreateSessionAsync(user, "wf");
        var stored = await store.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("q1"), NewChatMessage.Assistant("a1"), NewChatMessage.User("q2"), NewChatMessage.Assistant("a2")]);

        // A signed-in user writes no parent and no run, through PostgREST's table endpoints or SQL.
        (await AttemptAsync(user, $"insert into public.chat_messages (session_id, role, content, parent_id) values ('{session.Id}', 'user', 'forged', '{stored[0].Id}')"))
            .Should().Be("42501");
        (await AttemptAsync(user, $"insert into chat_private.chat_runs (session_id, user_id, start_seq, head_id, parent_seq, prefix_starts, prefix_ends, activated) values ('{session.Id}', '{user}', 1, gen_random_uuid(), null, '{{}}', '{{}}', 1)"))
            .Should().Be("42501");
        (await AttemptAsync(user, $"update public.chat_sessions set leaf_id = '{stored[0].Id}' where id = '{session.Id}'")).Should().Be("42501");

        // Edit q2: the session has branched; a message inserted through the table now continues the active path (under the
        // new version), as an append without a parent does, not under the newest message of another branch.
        var edited = await store.AppendVersionAsync(user, session.Id, stored[2].Id, NewChatMessage.User("q2 edited"));
        await store.SwitchBranchAsync(user, session.Id, stored[2].Id);
        (await AttemptAsync(user, $"insert into public.chat_messages (session_id, role, content) values ('{session.Id}', 'assistant', 'direct')")).Should().BeNull();
        var page = await store.GetMessagesAsync(user, session.Id);
        page.Messages.Select(m => m.Content).Should().Equal("q1", "a1", "q2", "a2", "direct");
        page.Messages[^1].ParentId.Should().Be(stored[3].Id);
        (await store.GetSessionAsync(user, session.Id))!.ActiveLeafId.Should().Be(page.Messages[^1].Id);
        (await store.GetMessagesAsync(user, session.Id, new ChatHistoryRequest { LeafId = edited.Id })).Messages.Select(m => m.Content)
            .Should().Equal("q1", "a1", "q2 edited");
    }

    [Fact]
    public async Task Messages_of_a_branched_session_are_not_deleted_one_by_one_and_the_trees_helpers_are_not_callable()
    {
        await using var store = new PostgresChatSessionStore(_admin);
        var user = await NewUserAsync();
        var session = await store.GetOrCreateSessionAsync(user, "wf");
        var stored = await store.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("q1"), NewChatMessage.Assistant("a1"), NewChatMessage.User("q2"), NewChatMessage.Assistant("a2")]);
        var linear = await store.GetOrCreateSessionAsync(user, "wf-linear");
        var line = await store.AppendMessagesAsync(user, linear.Id, [NewChatMessage.User("x"), NewChatMessage.Assistant("y")]);
        var edited = await store.AppendVersionAsync(user, session.Id, stored[2].Id, NewChatMessage.User("q2b"));

        // Deleting the leaf alone would leave the tree naming a message that is gone: refused, nothing deleted.
        (await AttemptAsync(user, $"delete from public.chat_messages where id = '{edited.Id}'")).Should().Be("42501");
        (await AttemptAsync(user, $"delete from public.chat_messages where id = '{stored[3].Id}'")).Should().Be("42501");
        (await store.GetMessagesAsync(user, session.Id, new ChatHistoryRequest { AllBranches = true })).Messages.Should().HaveCount(5);

        // A session that never branched may still lose a message through the table, as before; a whole session is cleared.
        (await AttemptAsync(user, $"delete from public.chat_messages where id = '{line[1].Id}'")).Should().BeNull();
        (await AttemptAsync(user, $"delete from public.chat_messages where session_id = '{session.Id}'")).Should().BeNull();
        (await store.GetSessionAsync(user, session.Id))!.ActiveLeafId.Should().BeNull();
        (await store.AppendMessageAsync(user, session.Id, NewChatMessage.User("again"))).ParentId.Should().BeNull();

        // The placement helper runs for the insert trigger only; the tree's append checks its own limits.
        (await AttemptAsync(user, $"select chat_private.chat_place_direct('{session.Id}', '{user}', gen_random_uuid(), 999)")).Should().Be("42501");
        (await AttemptAsync(user, $$"""select * from chat_private.chat_append_tree('{{session.Id}}', '[{"id":"{{Guid.NewGuid()}}","role":"user","content":"z"}]', null, null)""")).Should().Be("22023");
    }

    [Fact]
    public async Task Data_of_version_3_reads_identically_after_the_migration_and_its_cursors_keep_paging()
    {
        var cluster = await PostgresCluster.GetAsync();
        var name = "v3_" + Guid.NewGuid().ToString("N");
        await using (var admin = NpgsqlDataSource.Create(cluster.ConnectionString()))
        await using (var create = admin.CreateCommand($"create database {name}"))
        {
            await create.ExecuteNonQueryAsync();
        }

        await using var db = NpgsqlDataSource.Create(cluster.ConnectionString(name));
        var latest = ChatPersistenceMigrations.All.Single(m => m.Name.EndsWith("_chat_branches.sql", StringComparison.Ordinal));
        foreach (var migration in ChatPersistenceMigrations.All.Where(m => m.Version < latest.Version))
        {
            await using var command = db.CreateCommand(migration.Sql);
            await command.ExecuteNonQueryAsync();
        }

        // Version 3's own functions write the data: 120 messages, a favourite, a reply that ended stopped.
        var user = Guid.NewGuid();
        var session = (Guid)(await ScalarAsync(db, $"select id from public.chat_get_or_create_session('legacy', null, '{user}')"))!;
        await ScalarAsync(db, $"""
            select count(*) from public.chat_append_messages('{session}',
              (select jsonb_agg(jsonb_build_object('id', gen_random_uuid(), 'role', case when g % 2 = 0 then 'assistant' else 'user' end,
                                                   'content', 'message ' || g) order by g) from generate_series(1, 60) g), '{user}')
            """);
        await ScalarAsync(db, $"""
            select count(*) from public.chat_append_messages('{session}',
              (select jsonb_agg(jsonb_build_object('id', gen_random_uuid(), 'role', 'user', 'content', 'later ' || g) order by g) from generate_series(1, 59) g), '{user}')
            """);
        var reply = Guid.NewGuid();
        await ScalarAsync(db, $"select count(*) from public.chat_begin_reply('{session}', '{reply}', null, 30000, '{user}')");
        await ScalarAsync(db, $"select count(*) from public.chat_finish_reply('{reply}', 0, 'partial', 7, 7, 1000, 2::smallint, 2::smallint, null, null, '{user}')");
        await ScalarAsync(db, $"select count(*) from public.chat_set_favorite((select id from public.chat_messages where content = 'message 7'), true, '{user}')");
        const string Columns = "id, session_id, seq, role, content, metadata, created_at, is_favorite, beyond, status, status_reason, status_detail, lease_expires_at";
        var before = await RowsAsync(db, $"select {Columns} from public.chat_read_messages('{session}', 1000, true, null, '{user}')");
        var beforeDeep = await RowsAsync(db, $"select {Columns} from public.chat_read_messages('{session}', 10, true, (select seq from public.chat_messages where content = 'message 30'), '{user}')");

        await using (var command = db.CreateCommand(latest.Sql))
        {
            await command.ExecuteNonQueryAsync();
        }

        (await RowsAsync(db, $"select {Columns} from public.chat_read_messages('{session}', 1000, true, null, '{user}')")).Should().Equal(before);
        (await RowsAsync(db, $"select {Columns} from public.chat_read_messages('{session}', 10, true, (select seq from public.chat_messages where content = 'message 30'), '{user}')"))
            .Should().Equal(beforeDeep);

        // The store pages the migrated session with its cursors (the active path of a session that never branched is the
        // whole session), both ways, with every parent the message before.
        await using var store = new PostgresChatSessionStore(db);
        var ids = before.Select(r => Guid.Parse(r.Split('|')[0])).Reverse().ToArray();
        var older = new List<StoredChatMessage>();
        var page = await store.GetMessagesAsync(user.ToString(), session, new ChatHistoryRequest { PageSize = 7 });
        older.InsertRange(0, page.Messages);
        while (page.HasOlder)
        {
            page = await store.GetMessagesAsync(user.ToString(), session, new ChatHistoryRequest { PageSize = 7, Cursor = page.OlderCursor });
            older.InsertRange(0, page.Messages);
        }

        older.Select(m => m.Id).Should().Equal(ids);
        older.Select(m => m.ParentId).Should().Equal(ids.Select((_, i) => i == 0 ? (Guid?)null : ids[i - 1]));
        var newer = new List<StoredChatMessage>();
        page = await store.GetMessagesAsync(user.ToString(), session, new ChatHistoryRequest { PageSize = 9, Start = ChatHistoryStart.Oldest });
        newer.AddRange(page.Messages);
        while (page.HasNewer)
        {
            page = await store.GetMessagesAsync(user.ToString(), session, new ChatHistoryRequest { PageSize = 9, Cursor = page.NewerCursor });
            newer.AddRange(page.Messages);
        }

        newer.Select(m => m.Id).Should().Equal(ids);
        (await store.GetSessionAsync(user.ToString(), session))!.ActiveLeafId.Should().BeNull();
    }

    [Fact]
    public async Task Concurrent_appends_under_one_parent_from_two_connections_keep_both_branches_and_the_later_commit_is_the_leaf()
    {
        var database = _admin.ConnectionString;
        await using var first = new PostgresChatSessionStore(database);
        await using var second = new PostgresChatSessionStore(database);
        var user = await NewUserAsync();
        var session = await first.GetOrCreateSessionAsync(user, "wf");
        var stored = await first.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("q1"), NewChatMessage.Assistant("a1"), NewChatMessage.User("q2")]);
        var question = stored[2];
        var results = new List<StoredChatMessage>();
        for (var round = 0; round < 10; round++)
        {
            // Two devices answer the same question at once, each with a two-message batch under it.
            var a = first.AppendMessagesAsync(user, session.Id, [NewChatMessage.Assistant("A" + round) with { ParentId = question.Id }, NewChatMessage.User("A follow-up " + round)]);
            var b = second.AppendMessagesAsync(user, session.Id, [NewChatMessage.Assistant("B" + round) with { ParentId = question.Id }, NewChatMessage.User("B follow-up " + round)]);
            var both = await Task.WhenAll(a, b);
            foreach (var batch in both)
            {
                batch[0].ParentId.Should().Be(question.Id);
                batch[1].ParentId.Should().Be(batch[0].Id);
                results.AddRange(batch);
            }

            var leaf = both.Select(x => x[1]).MaxBy(m => m.Sequence)!;
            (await first.GetSessionAsync(user, session.Id))!.ActiveLeafId.Should().Be(leaf.Id, "the later commit is the active leaf");
            (await second.GetMessagesAsync(user, session.Id)).Messages.Select(m => m.Id).Should().Equal(stored[0].Id, stored[1].Id, question.Id, leaf.ParentId!.Value, leaf.Id);
        }

        // Every branch is intact: the path to each follow-up is the question, its answer and the follow-up.
        foreach (var followUp in results.Where(m => m.Role == ChatMessageRole.User))
        {
            var path = await first.GetMessagesAsync(user, session.Id, new ChatHistoryRequest { LeafId = followUp.Id });
            path.Messages.Select(m => m.Content).Should().Equal("q1", "a1", "q2", results.Single(r => r.Id == followUp.ParentId).Content, followUp.Content);
        }

        var siblings = await first.GetSiblingsAsync(user, results[0].Id);
        siblings.Versions.Should().HaveCount(20);
        siblings.Versions.Select(v => v.Sequence).Should().BeInAscendingOrder();
        var all = await first.GetMessagesAsync(user, session.Id, new ChatHistoryRequest { AllBranches = true, PageSize = 100 });
        all.Messages.Should().HaveCount(43);
    }

    private async Task<string> NewUserAsync()
    {
        var id = Guid.NewGuid();
        await using var command = _admin.CreateCommand($"insert into auth.users (id) values ('{id}')");
        await command.ExecuteNonQueryAsync();
        return id.ToString();
    }

    private Task<object?> ScalarAsync(string sql) => ScalarAsync(_admin, sql);

    private static async Task<object?> ScalarAsync(NpgsqlDataSource db, string sql)
    {
        await using var command = db.CreateCommand(sql);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull ? null : value;
    }

    private static async Task<List<string>> RowsAsync(NpgsqlDataSource db, string sql)
    {
        var rows = new List<string>();
        await using var command = db.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            rows.Add(string.Join('|', Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? "∅" : Convert.ToString(reader.GetValue(i), System.Globalization.CultureInfo.InvariantCulture))));
        }

        return rows;
    }

    // Null when the statement succeeded (and was committed), else its SQLSTATE. As PostgREST runs a signed-in user's request.
    private async Task<string?> AttemptAsync(string user, string sql)
    {
        await using var connection = await _admin.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var setup = new NpgsqlCommand("select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)", connection, transaction))
        {
            setup.Parameters.AddWithValue($$"""{"sub":"{{user}}","role":"authenticated"}""");
            await setup.ExecuteNonQueryAsync();
        }

        try
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            await command.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
            return null;
        }
        catch (PostgresException ex)
        {
            return ex.SqlState;
        }
    }
}
