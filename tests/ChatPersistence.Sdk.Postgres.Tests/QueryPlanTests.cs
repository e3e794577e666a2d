using System.Text.Json;
using ChatPersistence.Sdk.PostgresTesting;
using FluentAssertions;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace ChatPersistence.Sdk.Postgres.Tests;

/// <summary>
/// The queries inside the SQL functions use index scans on a large table: one session of 1,000,000 messages plus 5,000
/// sessions of other users with 20 messages each, seeded with generate_series and analysed. The plans are printed to the test output.
/// </summary>
public sealed class QueryPlanTests(ITestOutputHelper output)
{
    private static readonly Guid UserA = Guid.Parse("aaaaaaaa-0000-4000-8000-000000000001");
    private static readonly Guid User78 = Guid.Parse("aaaaaaaa-0000-4000-8000-00000000004e");
    private static readonly Guid SessionA = Guid.Parse("aaaaaaaa-0000-4000-8000-0000000000a1");

    public static TheoryData<string, string> Queries => new()
    {
        { "history: newest page", $"select c.id from public.chat_messages c where c.session_id = '{SessionA}' order by c.seq desc limit 51" },
        { "history: older page", $"select c.id from public.chat_messages c where c.session_id = '{SessionA}' and c.seq < 500000 order by c.seq desc limit 51" },
        { "history: newer page", $"select c.id from public.chat_messages c where c.session_id = '{SessionA}' and c.seq > 500000 order by c.seq limit 51" },
        { "history: beyond boundary", $"select (select max(c.seq) from public.chat_messages c where c.session_id = '{SessionA}') >= 500000" },
        { "append: stored rows by id", $"select c.id from public.chat_messages c where c.id = any (array['{Guid.NewGuid()}'::uuid, '{Guid.NewGuid()}'::uuid])" },
        { "append: last message time", $"select c.created_at from public.chat_messages c where c.session_id = '{SessionA}' order by c.seq desc limit 1" },
        { "favourites", $"select c.id from public.chat_messages c where c.user_id = '{UserA}' and c.is_favorite and c.seq < 900000 order by c.seq desc limit 51" },
        { "search", $"select c.id, ts_rank(c.search, q) r from public.chat_messages c, chat_private.chat_search_query('needle42') q where c.search @@ q and c.user_id = '{UserA}' order by r desc, c.seq desc limit 21" },
        { "sessions: get-or-create lookup", $"select s.id from public.chat_sessions s where s.user_id = '{UserA}' and s.workflow_id = 'big'" },
        { "sessions: list page", $"select s.id from public.chat_sessions s where s.user_id = '{UserA}' and (s.updated_at, s.id) < (now(), '{Guid.Empty}') order by s.updated_at desc, s.id desc limit 51" },
        { "retention", "select s.id from public.chat_sessions s where s.active_on <= (now() - interval '30 days')::date and s.updated_at < now() - interval '30 days' order by s.active_on, s.updated_at, s.id limit 1000" },
        { "clear / cascade of a session", $"select c.id from public.chat_messages c where c.session_id = (select s.id from public.chat_sessions s where s.user_id = '{User78}' and s.workflow_id = 'w77') and c.user_id = '{User78}'" },
    };

    [Theory]
    [MemberData(nameof(Queries))]
    public async Task Every_function_query_uses_an_index_on_a_million_message_table(string name, string sql)
    {
        var db = await SeededDatabase.Value;
        await using var command = db.CreateCommand("explain (format json) " + sql);
        var plan = JsonDocument.Parse((string)(await command.ExecuteScalarAsync())!).RootElement[0].GetProperty("Plan");
        var nodes = Flatten(plan).ToList();
        output.WriteLine($"{name}: {string.Join(" > ", nodes.Select(n => n.GetProperty("Node Type").GetString() + (n.TryGetProperty("Index Name", out var i) ? $"({i.GetString()})" : n.TryGetProperty("Relation Name", out var r) ? $"({r.GetString()})" : string.Empty)))}");
        nodes.Where(n => n.GetProperty("Node Type").GetString() == "Seq Scan")
            .Select(n => n.GetProperty("Relation Name").GetString())
            .Should().NotContain(["chat_messages", "chat_sessions"], $"{name} must not scan a whole table");
        nodes.Should().Contain(n => n.GetProperty("Node Type").GetString()!.Contains("Index", StringComparison.Ordinal), $"{name} must use an index");
    }

    private static IEnumerable<JsonElement> Flatten(JsonElement node)
    {
        yield return node;
        if (node.TryGetProperty("Plans", out var children))
        {
            foreach (var child in children.EnumerateArray())
            {
                foreach (var n in Flatten(child))
                {
                    yield return n;
                }
            }
        }
    }

    private static readonly Lazy<Task<NpgsqlDataSource>> SeededDatabase = new(SeedAsync);

    private static async Task<NpgsqlDataSource> SeedAsync()
    {
        var cluster = await PostgresCluster.GetAsync();
        var db = NpgsqlDataSource.Create(cluster.ConnectionString(await cluster.CreateDatabaseAsync()));
        await using var seed = db.CreateCommand($"""
            insert into auth.users (id) select ('aaaaaaaa-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid from generate_series(1, 1000) i;
            insert into public.chat_sessions (id, user_id, workflow_id, created_at, updated_at)
              values ('{SessionA}', '{UserA}', 'big', now() - interval '1 day', now());
            insert into public.chat_sessions (user_id, workflow_id, created_at, updated_at)
              select ('aaaaaaaa-0000-4000-8000-' || lpad(to_hex(1 + i % 1000), 12, '0'))::uuid, 'w' || i,
                     now() - (i || ' minutes')::interval, now() - (i || ' minutes')::interval
                from generate_series(1, 5000) i;
            insert into public.chat_messages (id, session_id, user_id, role, content, created_at, is_favorite)
              select gen_random_uuid(), '{SessionA}', '{UserA}', case when i % 2 = 0 then 'user' else 'assistant' end,
                     'message ' || i || ' about needle' || (i % 1000), now() - interval '1 day' + (i || ' ms')::interval, i % 1000 = 0
                from generate_series(1, 1000000) i;
            insert into public.chat_messages (id, session_id, user_id, role, content)
              select gen_random_uuid(), s.id, s.user_id, 'user', 'other message ' || g from public.chat_sessions s, generate_series(1, 20) g where s.workflow_id <> 'big';
            analyze public.chat_sessions;
            analyze public.chat_messages;
            """);
        seed.CommandTimeout = 600;
        await seed.ExecuteNonQueryAsync();
        return db;
    }
}
