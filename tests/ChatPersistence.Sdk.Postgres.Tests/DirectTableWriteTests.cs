using ChatPersistence.Sdk.PostgresTesting;
using FluentAssertions;
using Npgsql;
using Xunit;

namespace ChatPersistence.Sdk.Postgres.Tests;

/// <summary>
/// A signed-in user's writes through the table API (PostgREST's <c>POST /rest/v1/chat_messages</c>, the original plan's
/// saveMessage; <c>PATCH</c>, <c>DELETE</c>) leave the same state as the functions: counters, latest message time, activity,
/// change feed and checks. Run as PostgREST runs a request: one transaction, <c>SET LOCAL ROLE authenticated</c>, the JWT
/// claims in <c>request.jwt.claims</c>.
/// </summary>
public sealed class DirectTableWriteTests : IAsyncLifetime
{
    private NpgsqlDataSource _admin = null!;

    public async Task InitializeAsync()
    {
        var cluster = await PostgresCluster.GetAsync();
        _admin = NpgsqlDataSource.Create(cluster.ConnectionString(await cluster.CreateDatabaseAsync()));
    }

    public async Task DisposeAsync() => await _admin.DisposeAsync();

    [Fact]
    public async Task A_direct_insert_without_id_or_user_id_leaves_the_same_state_as_an_append()
    {
        var user = await NewUserAsync();
        var byFunction = await NewSessionAsync(user, "wf-function");
        var byTable = await NewSessionAsync(user, "wf-table");

        var appended = await AsUserAsync(user, $"select id::text from public.chat_append_messages('{byFunction}', jsonb_build_array(jsonb_build_object('id', gen_random_uuid(), 'role', 'user', 'content', 'hello')))");
        var inserted = await AsUserAsync(user, $"insert into public.chat_messages (session_id, role, content, metadata) values ('{byTable}', 'user', 'hello', '{{\"k\":1}}') returning id::text || ' ' || user_id::text");

        appended.Should().NotBeNull();
        inserted.Should().NotBeNull().And.EndWith(" " + user, "user_id defaults to the signed-in user");
        Guid.Parse(inserted!.Split(' ')[0]).Should().NotBeEmpty("id defaults to a new UUID");
        foreach (var session in new[] { byFunction, byTable })
        {
            // The count, the latest message's time, the activity time, and one "messages appended" change at its sequence.
            (await ScalarAsync($"""
                select s.message_count = 1 and s.last_message_at = m.created_at and s.updated_at >= m.created_at and s.updated_at > s.created_at
                   and (select count(*) from chat_private.chat_changes c where c.session_id = s.id) = 1
                   and (select c.kind = 1 and c.seq = m.seq and c.user_id = s.user_id from chat_private.chat_changes c where c.session_id = s.id)
                from public.chat_sessions s join public.chat_messages m on m.session_id = s.id where s.id = '{session}'
                """)).Should().Be(true, $"session {session} must look the same whichever path wrote its message");
        }
    }

    [Theory]
    [InlineData("user", null)]
    [InlineData("assistant", null)]
    [InlineData("system", null)]
    [InlineData("tool", null)]
    [InlineData("narrator", "23514")]
    [InlineData("USER", "23514")]
    public async Task Roles_are_checked_alike_by_the_function_and_the_table(string role, string? sqlState)
    {
        var user = await NewUserAsync();
        var session = await NewSessionAsync(user, "wf-roles");

        var byFunction = await AttemptAsync(user, $"select public.chat_append_messages('{session}', jsonb_build_array(jsonb_build_object('id', gen_random_uuid(), 'role', '{role}', 'content', 'x')))");
        var byTable = await AttemptAsync(user, $"insert into public.chat_messages (session_id, role, content) values ('{session}', '{role}', 'x')");

        byFunction.Should().Be(sqlState);
        byTable.Should().Be(sqlState);
        (await ScalarAsync($"select message_count from public.chat_sessions where id = '{session}'")).Should().Be(sqlState is null ? 2L : 0L);
    }

    [Fact]
    public async Task A_stored_id_is_refused_by_a_direct_insert_and_an_ignored_duplicate_changes_nothing()
    {
        var user = await NewUserAsync();
        var session = await NewSessionAsync(user, "wf-ids");
        var id = Guid.NewGuid();
        await AsUserAsync(user, $"insert into public.chat_messages (id, session_id, role, content) values ('{id}', '{session}', 'user', 'once')");
        var state = await StateAsync(session);

        (await AttemptAsync(user, $"insert into public.chat_messages (id, session_id, role, content) values ('{id}', '{session}', 'user', 'once')")).Should().Be("23505");
        // PostgREST's Prefer: resolution=ignore-duplicates with on_conflict=id: a retried insert is a no-op.
        (await AttemptAsync(user, $"insert into public.chat_messages (id, session_id, role, content) values ('{id}', '{session}', 'user', 'once') on conflict (id) do nothing")).Should().BeNull();

        (await StateAsync(session)).Should().Be(state, "no count, time or change moved");
    }

    [Fact]
    public async Task Direct_deletes_move_the_count_back_and_deleting_every_message_is_a_clear()
    {
        var user = await NewUserAsync();
        var session = await NewSessionAsync(user, "wf-delete");
        await AsUserAsync(user, $"insert into public.chat_messages (session_id, role, content, created_at) values ('{session}', 'user', 'a', '2026-01-01Z'), ('{session}', 'assistant', 'b', '2026-01-02Z'), ('{session}', 'user', 'c', '2026-01-03Z')");
        (await ScalarAsync($"select message_count || ' ' || last_message_at::date from public.chat_sessions where id = '{session}'")).Should().Be("3 2026-01-03");

        await AsUserAsync(user, $"delete from public.chat_messages where session_id = '{session}' and content = 'c'");
        (await ScalarAsync($"select message_count || ' ' || last_message_at::date from public.chat_sessions where id = '{session}'")).Should().Be("2 2026-01-02");

        await AsUserAsync(user, $"delete from public.chat_messages where session_id = '{session}'");
        (await ScalarAsync($"select message_count || ' ' || coalesce(last_message_at::text, 'none') from public.chat_sessions where id = '{session}'")).Should().Be("0 none");
        (await ScalarAsync($"select string_agg(kind::text, ',' order by position) from chat_private.chat_changes where session_id = '{session}'")).Should().Be("1,2", "one append, then a clear");
    }

    [Fact]
    public async Task A_direct_insert_takes_its_sessions_lock_as_an_append_does()
    {
        var user = await NewUserAsync();
        var session = await NewSessionAsync(user, "wf-lock-a");
        var other = await NewSessionAsync(user, "wf-lock-b");
        await using var first = await _admin.OpenConnectionAsync();
        await using var holding = await first.BeginTransactionAsync();
        await SetUserAsync(first, holding, user);
        await using (var insert = new NpgsqlCommand($"insert into public.chat_messages (session_id, role, content) values ('{session}', 'user', 'first')", first, holding))
        {
            await insert.ExecuteNonQueryAsync();
        }

        // While the first insert's transaction is open, a second one into the same session waits (its sequence would
        // otherwise be drawn, and could commit, before the first's); another session does not wait.
        (await AttemptAsync(user, $"insert into public.chat_messages (session_id, role, content) values ('{session}', 'user', 'second')", lockTimeout: true)).Should().Be("55P03");
        (await AttemptAsync(user, $"select public.chat_append_messages('{session}', jsonb_build_array(jsonb_build_object('id', gen_random_uuid(), 'role', 'user', 'content', 'x')))", lockTimeout: true)).Should().Be("55P03");
        (await AttemptAsync(user, $"insert into public.chat_messages (session_id, role, content) values ('{other}', 'user', 'elsewhere')", lockTimeout: true)).Should().BeNull();
        await holding.CommitAsync();
    }

    private async Task<string> NewUserAsync()
    {
        var id = Guid.NewGuid();
        await using var command = _admin.CreateCommand($"insert into auth.users (id) values ('{id}')");
        await command.ExecuteNonQueryAsync();
        return id.ToString();
    }

    private async Task<Guid> NewSessionAsync(string user, string workflow) =>
        Guid.Parse((await AsUserAsync(user, $"select id::text from public.chat_get_or_create_session('{workflow}')"))!);

    private async Task<string> StateAsync(Guid session) => (string)(await ScalarAsync(
        $"select s::text || (select count(*) from chat_private.chat_changes c where c.session_id = s.id) from public.chat_sessions s where s.id = '{session}'"))!;

    private async Task<object?> ScalarAsync(string sql)
    {
        await using var command = _admin.CreateCommand(sql);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull ? null : value;
    }

    private static async Task SetUserAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string user)
    {
        await using var setup = new NpgsqlCommand("select set_config('role', 'authenticated', true), set_config('request.jwt.claims', $1, true)", connection, transaction);
        setup.Parameters.AddWithValue($$"""{"sub":"{{user}}","role":"authenticated"}""");
        await setup.ExecuteNonQueryAsync();
    }

    private async Task<string?> AsUserAsync(string user, string sql)
    {
        await using var connection = await _admin.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await SetUserAsync(connection, transaction, user);
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        var value = await command.ExecuteScalarAsync();
        await transaction.CommitAsync();
        return value?.ToString();
    }

    // Null when the statement succeeded (and was committed), else its SQLSTATE.
    private async Task<string?> AttemptAsync(string user, string sql, bool lockTimeout = false)
    {
        await using var connection = await _admin.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await SetUserAsync(connection, transaction, user);
        if (lockTimeout)
        {
            // Long enough for any lock that is free, and a lock held by an open transaction is never free.
            await using var timeout = new NpgsqlCommand("set local lock_timeout = '2s'", connection, transaction);
            await timeout.ExecuteNonQueryAsync();
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
