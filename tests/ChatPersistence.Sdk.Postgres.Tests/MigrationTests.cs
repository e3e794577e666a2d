using ChatPersistence.Sdk.PostgresTesting;
using FluentAssertions;
using Npgsql;
using Xunit;

namespace ChatPersistence.Sdk.Postgres.Tests;

public sealed class MigrationTests
{
    [Fact]
    public async Task Migrations_ship_in_the_package_and_applying_them_again_changes_nothing()
    {
        ChatPersistenceMigrations.All.Should().NotBeEmpty();
        ChatPersistenceMigrations.All.Select(m => m.Version).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        ChatPersistenceMigrations.GetScript().Should().Contain("create table if not exists public.chat_messages");

        var cluster = await PostgresCluster.GetAsync();
        await using var db = NpgsqlDataSource.Create(cluster.ConnectionString(await cluster.CreateDatabaseAsync()));
        var before = await SchemaAsync(db);
        await ChatPersistenceMigrations.ApplyAsync(db);
        await ChatPersistenceMigrations.ApplyAsync(db);
        (await SchemaAsync(db)).Should().Be(before);
    }

    [Fact]
    public async Task Migrations_apply_to_a_plain_postgresql_database_without_supabase()
    {
        var cluster = await PostgresCluster.GetAsync();
        var name = "plain_" + Guid.NewGuid().ToString("N");
        await using (var admin = NpgsqlDataSource.Create(cluster.ConnectionString()))
        await using (var create = admin.CreateCommand($"create database {name}"))
        {
            await create.ExecuteNonQueryAsync();
        }

        await using var db = NpgsqlDataSource.Create(cluster.ConnectionString(name));
        await ChatPersistenceMigrations.ApplyAsync(db);
        await using var store = new PostgresChatSessionStore(db);
        var user = Guid.NewGuid().ToString();
        var session = await store.GetOrCreateSessionAsync(user, "self-hosted");
        await store.AppendMessageAsync(user, session.Id, NewChatMessage.User("Olá, PostgreSQL sem Supabase"));
        (await store.SearchAsync(user, new ChatSearchRequest("ola"))).Items.Should().ContainSingle();
    }

    [Fact]
    public async Task On_a_database_prepared_like_supabase_the_non_superuser_owner_applies_them_without_a_warning_twice()
    {
        var cluster = await PostgresCluster.GetAsync();
        var name = await cluster.CreateSupabaseLikeDatabaseAsync();
        await using var owner = new NpgsqlConnection(cluster.OwnerConnectionString(name));
        var notices = new List<string>();
        owner.Notice += (_, e) => notices.Add($"{e.Notice.Severity}: {e.Notice.MessageText}");
        await owner.OpenAsync();
        await using (var super = new NpgsqlCommand("select rolsuper from pg_roles where rolname = current_user", owner))
        {
            ((bool)(await super.ExecuteScalarAsync())!).Should().BeFalse("Supabase's postgres role is not a superuser");
        }

        foreach (var migration in ChatPersistenceMigrations.All.Concat(ChatPersistenceMigrations.All))
        {
            await using var command = new NpgsqlCommand(migration.Sql, owner);
            await command.ExecuteNonQueryAsync();
        }

        notices.Should().NotContain(n => n.StartsWith("WARNING", StringComparison.Ordinal), string.Join('\n', notices));
    }

    [Fact]
    public void The_package_embeds_every_supabase_cli_migration_byte_for_byte_in_timestamp_order()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "ChatPersistence.Sdk.sln")))
        {
            root = Path.GetDirectoryName(root.TrimEnd(Path.DirectorySeparatorChar))!;
        }

        var files = Directory.GetFiles(Path.Combine(root, "supabase", "migrations"), "*.sql").Order(StringComparer.Ordinal).ToArray();
        files.Should().HaveCount(ChatPersistenceMigrations.All.Count, "supabase db push applies every file in supabase/migrations");
        for (var i = 0; i < files.Length; i++)
        {
            Path.GetFileName(files[i]).Should().MatchRegex(@"^\d{14}_chat_.*\.sql$", "the Supabase CLI orders migrations by their 14-digit timestamp");
            File.ReadAllText(files[i]).Should().Be(ChatPersistenceMigrations.All[i].Sql,
                $"{Path.GetFileName(files[i])} is embedded as {ChatPersistenceMigrations.All[i].Name}");
            ChatPersistenceMigrations.All[i].Name.Should().Be(Path.GetFileName(files[i]));
            ChatPersistenceMigrations.All[i].Version.Should().Be(i + 1);
        }
    }

    [Fact]
    public async Task Api_roles_hold_only_what_the_policies_govern_on_every_chat_object()
    {
        var cluster = await PostgresCluster.GetAsync();
        await using var db = NpgsqlDataSource.Create(cluster.ConnectionString(await cluster.CreateDatabaseAsync()));
        await using var command = db.CreateCommand("""
            select r.role || ' ' || o.kind || ' ' || o.name || ': ' || coalesce(string_agg(p.privilege, ',' order by p.privilege), '-')
            from (values ('anon'), ('authenticated'), ('service_role')) r(role)
            cross join (select 'table' kind, c.oid::regclass::text name, c.oid from pg_class c where c.oid in ('public.chat_sessions'::regclass, 'public.chat_messages'::regclass)
                        union all select 'sequence', pg_get_serial_sequence('public.chat_messages', 'seq'), pg_get_serial_sequence('public.chat_messages', 'seq')::regclass::oid) o
            left join lateral (select x.privilege from unnest(array['SELECT','INSERT','UPDATE','DELETE','TRUNCATE','REFERENCES','TRIGGER','USAGE']) x(privilege)
                               where case when o.kind = 'table' then x.privilege <> 'USAGE' and has_table_privilege(r.role, o.oid, x.privilege)
                                          else x.privilege in ('SELECT','UPDATE','USAGE') and has_sequence_privilege(r.role, o.oid, x.privilege) end) p on true
            group by r.role, o.kind, o.name
            order by 1
            """);
        var table = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                table.Add(reader.GetString(0));
            }
        }

        table.Should().Equal(
            "anon sequence public.chat_messages_seq_seq: -",
            "anon table chat_messages: -",
            "anon table chat_sessions: -",
            "authenticated sequence public.chat_messages_seq_seq: -",
            "authenticated table chat_messages: DELETE,SELECT",
            "authenticated table chat_sessions: DELETE,SELECT",
            "service_role sequence public.chat_messages_seq_seq: -",
            "service_role table chat_messages: DELETE,INSERT,SELECT,UPDATE",
            "service_role table chat_sessions: DELETE,INSERT,SELECT,UPDATE");
    }

    [Fact]
    public async Task Signed_in_users_write_only_their_own_columns_never_the_ones_the_database_maintains()
    {
        var cluster = await PostgresCluster.GetAsync();
        await using var db = NpgsqlDataSource.Create(cluster.ConnectionString(await cluster.CreateDatabaseAsync()));
        await using var command = db.CreateCommand("""
            select r.role || ' ' || p.privilege || ' ' || c.relname || ': ' || coalesce(string_agg(a.attname, ',' order by a.attnum) filter (where has_column_privilege(r.role, c.oid, a.attnum, p.privilege)), '-')
            from (values ('anon'), ('authenticated')) r(role)
            cross join (values ('INSERT'), ('UPDATE')) p(privilege)
            cross join pg_class c
            join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
            where c.oid in ('public.chat_sessions'::regclass, 'public.chat_messages'::regclass)
            group by r.role, p.privilege, c.relname
            order by 1
            """);
        var table = new List<string>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                table.Add(reader.GetString(0));
            }
        }

        // updated_at, active_on, message_count, last_message_at, created_at, ids, seq, search: the database's (triggers).
        // user_id and workflow_id are updatable for PostgREST's upsert only: chat_sessions_updating refuses a change.
        table.Should().Equal(
            "anon INSERT chat_messages: -",
            "anon INSERT chat_sessions: -",
            "anon UPDATE chat_messages: -",
            "anon UPDATE chat_sessions: -",
            "authenticated INSERT chat_messages: id,session_id,user_id,role,content,metadata,created_at",
            "authenticated INSERT chat_sessions: user_id,workflow_id,title",
            "authenticated UPDATE chat_messages: is_favorite",
            "authenticated UPDATE chat_sessions: user_id,workflow_id,title");
    }

    private static async Task<string> SchemaAsync(NpgsqlDataSource db)
    {
        await using var command = db.CreateCommand(
            "select string_agg(x, E'\\n' order by x) from (" +
            " select 'table ' || table_name || '.' || column_name || ' ' || data_type as x from information_schema.columns where table_schema = 'public'" +
            " union all select 'index ' || indexname || ' ' || indexdef from pg_indexes where schemaname = 'public'" +
            " union all select 'policy ' || policyname || ' ' || cmd || ' ' || coalesce(qual, '') || ' ' || coalesce(with_check, '') from pg_policies where schemaname = 'public'" +
            " union all select 'function ' || p.oid::regprocedure::text || ' ' || md5(p.prosrc) || ' ' || coalesce(array_to_string(p.proacl, ','), '') from pg_proc p where p.pronamespace = 'public'::regnamespace" +
            " union all select 'constraint ' || conname || ' ' || pg_get_constraintdef(oid) from pg_constraint where connamespace = 'public'::regnamespace" +
            " union all select 'grant ' || table_name || ' ' || grantee || ' ' || privilege_type from information_schema.role_table_grants where table_schema = 'public'" +
            ") s");
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
