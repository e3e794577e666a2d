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
