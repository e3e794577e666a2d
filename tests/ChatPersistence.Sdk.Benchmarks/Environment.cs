using ChatPersistence.Sdk.PostgresTesting;
using ChatPersistence.Sdk.PostgrestTesting;
using Npgsql;

namespace ChatPersistence.Sdk.Benchmarks;

/// <summary>The real PostgreSQL (throwaway cluster or CHATPERSISTENCE_TEST_POSTGRES) and helpers shared by the benchmarks.</summary>
public static class BenchEnvironment
{
    /// <param name="autoPrepare">Npgsql's automatic preparation (<c>Max Auto Prepare</c>) on the returned data source.</param>
    public static async Task<(PostgresCluster Cluster, string Database, NpgsqlDataSource Admin)> DatabaseAsync(bool autoPrepare = false)
    {
        var cluster = await PostgresCluster.GetAsync();
        var database = await cluster.CreateDatabaseAsync();
        var builder = new NpgsqlConnectionStringBuilder(cluster.ConnectionString(database));
        if (autoPrepare)
        {
            builder.MaxAutoPrepare = 32;
            builder.AutoPrepareMinUsages = 2;
        }

        return (cluster, database, NpgsqlDataSource.Create(builder.ConnectionString));
    }

    public static async Task<Guid> UserAsync(NpgsqlDataSource admin)
    {
        var id = Guid.NewGuid();
        await using var command = admin.CreateCommand("insert into auth.users (id) values ($1)");
        command.Parameters.AddWithValue(id);
        await command.ExecuteNonQueryAsync();
        return id;
    }

    public static Task<PostgrestTestServer> ServerAsync(PostgresCluster cluster, string database) =>
        PostgrestTestServer.StartAsync(new PostgrestTestServerOptions { ConnectionString = cluster.ConnectionString(database) });

    /// <summary>Seeds <paramref name="count"/> messages into a session in one statement (generate_series), then analyzes.</summary>
    public static async Task SeedAsync(NpgsqlDataSource admin, Guid userId, Guid sessionId, int count, string text = "message number")
    {
        await using (var insert = admin.CreateCommand("""
            insert into public.chat_messages (id, session_id, user_id, role, content, metadata, created_at)
            select gen_random_uuid(), $1, $2, case when g % 2 = 0 then 'user' else 'assistant' end,
                   $3 || ' ' || g || ' about topic ' || (g % 97), '{}'::jsonb, now() - make_interval(secs => $4 - g)
            from generate_series(1, $4) g
            """))
        {
            insert.CommandTimeout = 600;
            insert.Parameters.AddWithValue(sessionId);
            insert.Parameters.AddWithValue(userId);
            insert.Parameters.AddWithValue(text);
            insert.Parameters.AddWithValue(count);
            await insert.ExecuteNonQueryAsync();
        }

        await using var analyze = admin.CreateCommand("update public.chat_sessions set message_count = message_count + $2 where id = $1");
        analyze.Parameters.AddWithValue(sessionId);
        analyze.Parameters.AddWithValue((long)count);
        await analyze.ExecuteNonQueryAsync();
        await using var stats = admin.CreateCommand("analyze public.chat_messages");
        stats.CommandTimeout = 600;
        await stats.ExecuteNonQueryAsync();
    }
}
