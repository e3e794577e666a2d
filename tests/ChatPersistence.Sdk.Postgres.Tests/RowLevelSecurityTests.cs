using FluentAssertions;
using Npgsql;
using Xunit;

namespace ChatPersistence.Sdk.Postgres.Tests;

/// <summary>
/// The RLS matrix, run as PostgREST runs a request: one transaction, SET LOCAL ROLE, the JWT claims in
/// request.jwt.claims. Every table operation and every function × {owner, another user, anon, service role}. An attempt
/// that must be refused is committed (as PostgREST would) and the data is then checked unchanged; an allowed attempt is
/// rolled back so the next case starts from the same data.
/// </summary>
public sealed class RowLevelSecurityTests(RlsFixture fixture) : IClassFixture<RlsFixture>
{
    public enum Actor
    {
        Owner,
        OtherUser,
        Anon,
        ServiceRole,
    }

    /// <summary>What an attempt must do: succeed with rows, succeed touching nothing, or fail with an SQLSTATE.</summary>
    public enum Outcome
    {
        Rows,
        NoRows,
        Denied,
        NotFound,
    }

    // {A} = A's user id, {B} = B's, {S} = A's session, {M} = A's favourite message, {U} = the acting user's own id (or A for the service role).
    private static readonly (string Name, string Sql, Outcome Owner, Outcome Other, Outcome Anon, Outcome Service)[] Cases =
    [
        ("select sessions", "select id from public.chat_sessions where id = '{S}'", Outcome.Rows, Outcome.NoRows, Outcome.Denied, Outcome.Rows),
        ("select messages", "select id from public.chat_messages where session_id = '{S}'", Outcome.Rows, Outcome.NoRows, Outcome.Denied, Outcome.Rows),
        ("insert session for A", "insert into public.chat_sessions (user_id, workflow_id) values ('{A}', 'new-wf') returning id", Outcome.Rows, Outcome.Denied, Outcome.Denied, Outcome.Rows),
        ("insert message into A's session as A", "insert into public.chat_messages (id, session_id, user_id, role, content) values (gen_random_uuid(), '{S}', '{A}', 'user', 'x') returning id", Outcome.Rows, Outcome.Denied, Outcome.Denied, Outcome.Rows),
        ("insert message into A's session as self", "insert into public.chat_messages (id, session_id, user_id, role, content) values (gen_random_uuid(), '{S}', '{U}', 'user', 'x') returning id", Outcome.Rows, Outcome.Denied, Outcome.Denied, Outcome.Rows),
        ("update session title", "update public.chat_sessions set title = 'hacked' where id = '{S}' returning id", Outcome.Rows, Outcome.NoRows, Outcome.Denied, Outcome.Rows),
        // UPDATE on user_id and workflow_id is granted for PostgREST's upsert only; a change to them is refused (B does not see A's row).
        ("move session to B", "update public.chat_sessions set user_id = '{B}' where id = '{S}' returning id", Outcome.Denied, Outcome.NoRows, Outcome.Denied, Outcome.Denied),
        ("change session workflow", "update public.chat_sessions set workflow_id = 'moved' where id = '{S}' returning id", Outcome.Denied, Outcome.NoRows, Outcome.Denied, Outcome.Denied),
        // The columns the database maintains: no API role but the service role writes them (issue 25: updated_at = infinity
        // escaped retention; a written message_count faked counts and "cleared" events).
        ("set session updated_at", "update public.chat_sessions set updated_at = 'infinity' where id = '{S}' returning id", Outcome.Denied, Outcome.Denied, Outcome.Denied, Outcome.Rows),
        ("set session message_count", "update public.chat_sessions set message_count = 0 where id = '{S}' returning id", Outcome.Denied, Outcome.Denied, Outcome.Denied, Outcome.Rows),
        ("set session last_message_at", "update public.chat_sessions set last_message_at = now() where id = '{S}' returning id", Outcome.Denied, Outcome.Denied, Outcome.Denied, Outcome.Rows),
        ("set session created_at", "update public.chat_sessions set created_at = now() where id = '{S}' returning id", Outcome.Denied, Outcome.Denied, Outcome.Denied, Outcome.Rows),
        ("set session id", "update public.chat_sessions set id = gen_random_uuid() where id = '{S}' returning id", Outcome.Denied, Outcome.Denied, Outcome.Denied, Outcome.Denied),
        ("insert session with its own counters", "insert into public.chat_sessions (user_id, workflow_id, updated_at, message_count) values ('{U}', 'wf-counters', 'infinity', 42) returning id", Outcome.Denied, Outcome.Denied, Outcome.Denied, Outcome.Rows),
        ("insert session with its own id", "insert into public.chat_sessions (id, user_id, workflow_id) values (gen_random_uuid(), '{U}', 'wf-id') returning id", Outcome.Denied, Outcome.Denied, Outcome.Denied, Outcome.Rows),
        ("insert message with a chosen seq", "insert into public.chat_messages (id, session_id, user_id, role, content, seq) overriding system value values (gen_random_uuid(), '{S}', '{U}', 'user', 'x', 1) returning id", Outcome.Denied, Outcome.Denied, Outcome.Denied, Outcome.Rows),
        ("insert favourite message", "insert into public.chat_messages (id, session_id, user_id, role, content, is_favorite) values (gen_random_uuid(), '{S}', '{U}', 'user', 'x', true) returning id", Outcome.Denied, Outcome.Denied, Outcome.Denied, Outcome.Rows),
        ("update message favourite", "update public.chat_messages set is_favorite = false where id = '{M}' returning id", Outcome.Rows, Outcome.NoRows, Outcome.Denied, Outcome.Rows),
        ("rewrite message content", "update public.chat_messages set content = 'forged' where id = '{M}' returning id", Outcome.Denied, Outcome.Denied, Outcome.Denied, Outcome.Rows),
        ("delete messages", "delete from public.chat_messages where session_id = '{S}' returning id", Outcome.Rows, Outcome.NoRows, Outcome.Denied, Outcome.Rows),
        ("delete session", "delete from public.chat_sessions where id = '{S}' returning id", Outcome.Rows, Outcome.NoRows, Outcome.Denied, Outcome.Rows),
        ("fn get_or_create (A's workflow)", "select id from public.chat_get_or_create_session('workflow-a', null, '{U}') where id = '{S}'", Outcome.Rows, Outcome.NoRows, Outcome.Denied, Outcome.Rows),
        ("fn get_session", "select id from public.chat_get_session('{S}', '{U}')", Outcome.Rows, Outcome.NoRows, Outcome.Denied, Outcome.Rows),
        ("fn list_sessions", "select id from public.chat_list_sessions(10, null, null, '{U}') where id = '{S}'", Outcome.Rows, Outcome.NoRows, Outcome.Denied, Outcome.Rows),
        ("fn rename_session", "select id from public.chat_rename_session('{S}', 'hacked', '{U}')", Outcome.Rows, Outcome.NotFound, Outcome.Denied, Outcome.Rows),
        ("fn append_messages", "select id from public.chat_append_messages('{S}', jsonb_build_array(jsonb_build_object('id', gen_random_uuid(), 'role', 'user', 'content', 'intruder')), '{U}')", Outcome.Rows, Outcome.NotFound, Outcome.Denied, Outcome.Rows),
        ("fn read_messages", "select public.chat_read_messages('{S}', 10, true, null, '{U}')", Outcome.Rows, Outcome.NotFound, Outcome.Denied, Outcome.Rows),
        ("fn clear_session", "select public.chat_clear_session('{S}', '{U}')", Outcome.Rows, Outcome.NotFound, Outcome.Denied, Outcome.Rows),
        ("fn delete_session", "select 1 where public.chat_delete_session('{S}', '{U}')", Outcome.Rows, Outcome.NoRows, Outcome.Denied, Outcome.Rows),
        ("fn search", "select id from public.chat_search('segredo', 10, 0, null, '{U}')", Outcome.Rows, Outcome.NoRows, Outcome.Denied, Outcome.Rows),
        ("fn search in A's session", "select id from public.chat_search('segredo', 10, 0, '{S}', '{U}')", Outcome.Rows, Outcome.NotFound, Outcome.Denied, Outcome.Rows),
        ("fn set_favorite", "select id from public.chat_set_favorite('{M}', false, '{U}')", Outcome.Rows, Outcome.NotFound, Outcome.Denied, Outcome.Rows),
        ("fn list_favorites", "select id from public.chat_list_favorites(10, null, null, '{U}')", Outcome.Rows, Outcome.NoRows, Outcome.Denied, Outcome.Rows),
        ("fn list_favorites in A's session", "select id from public.chat_list_favorites(10, null, '{S}', '{U}')", Outcome.Rows, Outcome.NotFound, Outcome.Denied, Outcome.Rows),
        ("fn delete_idle_sessions", "select 1 where public.chat_delete_idle_sessions(now() + interval '1 day', 10) > 0", Outcome.Denied, Outcome.Denied, Outcome.Denied, Outcome.Rows),
        ("fn acting for another user id", "select id from public.chat_get_session('{S}', '{A}')", Outcome.Rows, Outcome.Denied, Outcome.Denied, Outcome.Rows),
        // Least privilege beyond RLS: TRUNCATE ignores policies, a trigger runs in other users' appends, setval on the
        // message sequence would break every later append. No API role holds those privileges.
        ("truncate messages", "truncate public.chat_messages", Outcome.Denied, Outcome.Denied, Outcome.Denied, Outcome.Denied),
        ("truncate sessions", "truncate public.chat_sessions cascade", Outcome.Denied, Outcome.Denied, Outcome.Denied, Outcome.Denied),
        ("create trigger on messages", "create trigger chat_intruder before insert on public.chat_messages for each row execute function suppress_redundant_updates_trigger()", Outcome.Denied, Outcome.Denied, Outcome.Denied, Outcome.Denied),
        ("setval on the message sequence", "select setval(pg_get_serial_sequence('public.chat_messages', 'seq'), 1)", Outcome.Denied, Outcome.Denied, Outcome.Denied, Outcome.Denied),
        ("private search for A's id", "select id from chat_private.chat_search_hits('segredo', 10, 0, null, '{A}')", Outcome.Rows, Outcome.Denied, Outcome.Denied, Outcome.Rows),
    ];

    public static TheoryData<string, Actor> Matrix()
    {
        var data = new TheoryData<string, Actor>();
        foreach (var c in Cases)
        {
            foreach (var actor in Enum.GetValues<Actor>())
            {
                data.Add(c.Name, actor);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Each_role_gets_exactly_its_rights(string name, Actor actor)
    {
        var c = Cases.Single(x => x.Name == name);
        var expected = actor switch
        {
            Actor.Owner => c.Owner,
            Actor.OtherUser => c.Other,
            Actor.Anon => c.Anon,
            _ => c.Service,
        };
        var self = actor switch
        {
            Actor.OtherUser => fixture.UserB,
            _ => fixture.UserA,
        };
        var sql = c.Sql.Replace("{S}", fixture.SessionA.ToString()).Replace("{M}", fixture.MessageA.ToString())
            .Replace("{A}", fixture.UserA.ToString()).Replace("{B}", fixture.UserB.ToString()).Replace("{U}", self.ToString());
        if (actor == Actor.Owner || actor == Actor.OtherUser)
        {
            // A signed-in user's calls do not pass their id: it comes from the token, like from a PostgREST client.
            sql = sql.Replace($"'{self}')", "null)").Replace($", '{self}')", ", null)");
        }

        var before = await fixture.SnapshotAsync();
        var refused = expected is Outcome.Denied or Outcome.NotFound or Outcome.NoRows;

        var (rows, error) = await RunAsPostgRestAsync(actor, sql, commit: refused);

        switch (expected)
        {
            case Outcome.Rows:
                error.Should().BeNull();
                rows.Should().BeGreaterThan(0);
                break;
            case Outcome.NoRows:
                error.Should().BeNull();
                rows.Should().Be(0);
                break;
            case Outcome.Denied:
                error.Should().NotBeNull($"{actor} must not be allowed to {name}");
                error!.SqlState.Should().BeOneOf("42501", "23503", "42P01", "22023");
                break;
            case Outcome.NotFound:
                error.Should().NotBeNull();
                error!.SqlState.Should().Be("PT404");
                break;
        }

        if (refused)
        {
            (await fixture.SnapshotAsync()).Should().Be(before, $"a refused attempt by {actor} to {name} must change nothing");
        }
    }

    private async Task<(int Rows, PostgresException? Error)> RunAsPostgRestAsync(Actor actor, string sql, bool commit)
    {
        await using var connection = await fixture.Admin.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        var (role, claims) = actor switch
        {
            Actor.Owner => ("authenticated", $$"""{"sub":"{{fixture.UserA}}","role":"authenticated"}"""),
            Actor.OtherUser => ("authenticated", $$"""{"sub":"{{fixture.UserB}}","role":"authenticated"}"""),
            Actor.Anon => ("anon", """{"role":"anon"}"""),
            _ => ("service_role", """{"role":"service_role"}"""),
        };
        // PostgREST: SET LOCAL ROLE <role>; set_config('request.jwt.claims', <claims>, true) — transaction-local.
        await using (var setup = new NpgsqlCommand($"select set_config('role', '{role}', true), set_config('request.jwt.claims', $1, true)", connection, transaction))
        {
            setup.Parameters.AddWithValue(claims);
            await setup.ExecuteNonQueryAsync();
        }

        try
        {
            await using var command = new NpgsqlCommand(sql, connection, transaction);
            var rows = 0;
            await using (var reader = await command.ExecuteReaderAsync())
            {
                while (await reader.ReadAsync())
                {
                    rows++;
                }
            }

            if (commit)
            {
                await transaction.CommitAsync();
            }
            else
            {
                await transaction.RollbackAsync();
            }

            return (rows, null);
        }
        catch (PostgresException ex)
        {
            await transaction.RollbackAsync();
            return (0, ex);
        }
    }
}
