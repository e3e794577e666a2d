using ChatPersistence.Sdk.PostgresTesting;
using FluentAssertions;
using Npgsql;
using Xunit;

namespace ChatPersistence.Sdk.Postgres.Tests;

/// <summary>
/// The retention snippet (supabase/snippets/chat_retention_pg_cron.sql) really runs under pg_cron: its command, scheduled
/// every minute in a test database, deletes an idle session. Needs Debian's postgresql-15-cron (`bash .ci/run` installs it).
/// </summary>
public sealed class PgCronRetentionTests
{
    [Fact]
    public async Task The_scheduled_retention_command_deletes_idle_sessions()
    {
        var cluster = await PostgresCluster.GetAsync();
        cluster.HasPgCron.Should().BeTrue("pg_cron must be installed (Debian: `apt-get install postgresql-15-cron`; `bash .ci/run` does it)");
        var database = await cluster.CreateDatabaseAsync();
        await using var db = NpgsqlDataSource.Create(cluster.ConnectionString(database));
        var user = Guid.NewGuid();
        await using (var seed = db.CreateCommand(
            $"insert into auth.users (id) values ('{user}'); " +
            $"insert into public.chat_sessions (user_id, workflow_id, updated_at) values ('{user}', 'old', now() - interval '100 days'), ('{user}', 'recent', now())"))
        {
            await seed.ExecuteNonQueryAsync();
        }

        // The snippet's command, taken from the file, scheduled every minute in the test database.
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "ChatPersistence.Sdk.sln")))
        {
            root = Path.GetDirectoryName(root.TrimEnd(Path.DirectorySeparatorChar))!;
        }

        var snippet = await File.ReadAllTextAsync(Path.Combine(root, "supabase", "snippets", "chat_retention_pg_cron.sql"));
        var start = snippet.IndexOf("$$", StringComparison.Ordinal) + 2;
        var command = snippet[start..snippet.IndexOf("$$", start, StringComparison.Ordinal)];
        command.Should().Contain("public.chat_delete_idle_sessions(");

        await using var postgres = NpgsqlDataSource.Create(cluster.ConnectionString());
        await using (var extension = postgres.CreateCommand("create extension if not exists pg_cron"))
        {
            await extension.ExecuteNonQueryAsync();
        }

        await using (var schedule = postgres.CreateCommand("select cron.schedule_in_database($1, '* * * * *', $2, $3)"))
        {
            schedule.Parameters.AddWithValue("chat-retention-" + database);
            schedule.Parameters.AddWithValue(command);
            schedule.Parameters.AddWithValue(database);
            await schedule.ExecuteNonQueryAsync();
        }

        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(100);
            long remaining;
            do
            {
                await Task.Delay(2000);
                await using var count = db.CreateCommand("select count(*) from public.chat_sessions where workflow_id = 'old'");
                remaining = (long)(await count.ExecuteScalarAsync())!;
            }
            while (remaining > 0 && DateTime.UtcNow < deadline);

            remaining.Should().Be(0, "pg_cron runs the command within a minute and it deletes the idle session");
            await using var recent = db.CreateCommand("select count(*) from public.chat_sessions where workflow_id = 'recent'");
            ((long)(await recent.ExecuteScalarAsync())!).Should().Be(1);
        }
        finally
        {
            await using var unschedule = postgres.CreateCommand("select cron.unschedule($1)");
            unschedule.Parameters.AddWithValue("chat-retention-" + database);
            await unschedule.ExecuteNonQueryAsync();
        }
    }
}
