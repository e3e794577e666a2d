using System.Text;
using ChatPersistence.Sdk;
using ChatPersistence.Sdk.PostgresTesting;
using ChatPersistence.Sdk.PostgrestTesting;
using ChatPersistence.Sdk.Sqlite;
using FluentAssertions;
using Microsoft.Data.Sqlite;
using Xunit;

namespace ChatPersistence.Samples.Tests;

public sealed class StoreSwitchingTests
{
    [Fact]
    public async Task The_console_switches_to_postgresql_by_configuration_alone()
    {
        var cluster = await PostgresCluster.GetAsync();
        var database = await cluster.CreateDatabaseAsync();
        var environment = new Dictionary<string, string>
        {
            ["ChatPersistence__Store"] = "Postgres",
            ["ChatPersistence__Postgres__ConnectionString"] = cluster.ConnectionString(database),
        };
        var user = Guid.NewGuid().ToString();
        await using (var admin = Npgsql.NpgsqlDataSource.Create(cluster.ConnectionString(database)))
        await using (var insert = admin.CreateCommand($"insert into auth.users (id) values ('{user}')"))
        {
            await insert.ExecuteNonQueryAsync(); // the Supabase schema ties sessions to auth.users
        }

        var first = await ConsoleProcess.RunAsync("guardado no PostgreSQL\n/quit\n", environment, "--user", user);
        var second = await ConsoleProcess.RunAsync("/quit\n", environment, "--user", user);

        first.ExitCode.Should().Be(0, first.Output);
        first.Output.Should().Contain("store Postgres").And.Contain("you: guardado no PostgreSQL  ✓ saved");
        second.Output.Should().Contain("2 message(s) stored").And.Contain("you: guardado no PostgreSQL");
    }

    [Fact]
    public async Task The_console_switches_to_supabase_in_user_mode_by_configuration_alone()
    {
        var cluster = await PostgresCluster.GetAsync();
        var database = await cluster.CreateDatabaseAsync();
        await using var server = await PostgrestTestServer.StartAsync(new PostgrestTestServerOptions { ConnectionString = cluster.ConnectionString(database) });
        var user = Guid.NewGuid();
        await using (var admin = Npgsql.NpgsqlDataSource.Create(cluster.ConnectionString(database)))
        await using (var insert = admin.CreateCommand($"insert into auth.users (id) values ('{user}')"))
        {
            await insert.ExecuteNonQueryAsync();
        }

        var environment = new Dictionary<string, string>
        {
            ["ChatPersistence__Store"] = "Supabase",
            ["ChatPersistence__Supabase__Url"] = server.Url.ToString(),
            ["ChatPersistence__Supabase__AnonKey"] = server.AnonKey,
            ["ChatPersistence__Supabase__AccessToken"] = server.CreateUserToken(user),
        };

        var first = await ConsoleProcess.RunAsync("guardado no Supabase\n/quit\n", environment, "--user", user.ToString());
        var second = await ConsoleProcess.RunAsync("/quit\n", environment, "--user", user.ToString());

        first.ExitCode.Should().Be(0, first.Output);
        first.Output.Should().Contain("store Supabase").And.Contain("you: guardado no Supabase  ✓ saved");
        second.Output.Should().Contain("2 message(s) stored").And.Contain("you: guardado no Supabase");
    }

    [Fact]
    public async Task A_second_process_appends_to_the_same_sqlite_file_at_the_same_time()
    {
        var folder = Path.Combine(Path.GetTempPath(), "chat-two-processes-" + Guid.NewGuid().ToString("N"));
        var db = Path.Combine(folder, "chat.db");
        Directory.CreateDirectory(folder);
        try
        {
            await using var store = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = db });
            var session = await store.GetOrCreateSessionAsync("ana", "shared");
            var input = new StringBuilder();
            for (var i = 0; i < 50; i++)
            {
                input.Append("from the console ").Append(i).Append('\n');
            }

            var console = ConsoleProcess.RunAsync(input.Append("/quit\n").ToString(), "--db", db, "--user", "ana", "--workflow", "shared");
            for (var i = 0; i < 50; i++)
            {
                await store.AppendMessageAsync("ana", session.Id, NewChatMessage.User($"from the test {i}"));
            }

            var run = await console;
            run.ExitCode.Should().Be(0, run.Output);
            var all = new List<StoredChatMessage>();
            await foreach (var m in store.StreamMessagesAsync("ana", session.Id))
            {
                all.Add(m);
            }

            all.Should().HaveCount(150, "50 test messages, 50 console messages and 50 assistant replies");
            all.Select(m => m.Id).Should().OnlyHaveUniqueItems();
            all.Select(m => m.Sequence).Should().BeInAscendingOrder();
            all.Where(m => m.Content.StartsWith("from the test ", StringComparison.Ordinal)).Select(m => m.Content)
                .Should().Equal(Enumerable.Range(0, 50).Select(i => $"from the test {i}"));
            all.Where(m => m.Content.StartsWith("from the console ", StringComparison.Ordinal)).Select(m => m.Content)
                .Should().Equal(Enumerable.Range(0, 50).Select(i => $"from the console {i}"));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
