using ChatPersistence.Sdk.Postgres;
using ChatPersistence.Sdk.Sqlite;
using FluentAssertions;
using Microsoft.Data.Sqlite;
using Npgsql;
using Xunit;

namespace ChatPersistence.Sdk.FaultTests;

/// <summary>Pool exhaustion, statement timeouts and a locked SQLite file end in clear typed errors, never in a hang.</summary>
[Collection(nameof(PrivateClusterTests))]
public sealed class ResourceLimitTests(PrivateCluster cluster)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task An_exhausted_connection_pool_is_a_transient_error_not_a_hang()
    {
        var database = await cluster.Cluster.CreateDatabaseAsync();
        var connectionString = new NpgsqlConnectionStringBuilder(cluster.Cluster.ConnectionString(database)) { MaxPoolSize = 2, Timeout = 1 }.ConnectionString;
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var store = new PostgresChatSessionStore(dataSource);
        var user = await NewUserAsync(database);
        var session = await store.GetOrCreateSessionAsync(user, "pool");
        await using var held1 = await dataSource.OpenConnectionAsync();
        await using var held2 = await dataSource.OpenConnectionAsync();

        var act = () => store.AppendMessageAsync(user, session.Id, NewChatMessage.User("waits for a connection")).WaitAsync(Limit);

        var error = (await act.Should().ThrowAsync<ChatPersistenceException>()).Which;
        error.IsTransient.Should().BeTrue();
        error.Message.Should().Contain("pool");
    }

    [Fact]
    public async Task A_statement_timeout_is_a_typed_transient_error_and_writes_nothing()
    {
        var database = await cluster.Cluster.CreateDatabaseAsync();
        var user = await NewUserAsync(database);
        var connectionString = new NpgsqlConnectionStringBuilder(cluster.Cluster.ConnectionString(database)) { Options = "-c statement_timeout=500" }.ConnectionString;
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var store = new PostgresChatSessionStore(dataSource);
        var session = await store.GetOrCreateSessionAsync(user, "locked");
        await using var blocker = new NpgsqlConnection(cluster.Cluster.ConnectionString(database));
        await blocker.OpenAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        await using (var lockRow = new NpgsqlCommand("select 1 from public.chat_sessions where id = $1 for update", blocker, transaction))
        {
            lockRow.Parameters.AddWithValue(session.Id);
            await lockRow.ExecuteScalarAsync();
        }

        var message = NewChatMessage.User("blocked by a lock");
        var act = () => store.AppendMessageAsync(user, session.Id, message).WaitAsync(Limit);

        var error = (await act.Should().ThrowAsync<ChatPersistenceException>()).Which;
        error.ErrorCode.Should().Be("57014");
        error.IsTransient.Should().BeTrue();
        await transaction.RollbackAsync();
        (await store.GetMessagesAsync(user, session.Id)).Messages.Should().BeEmpty();
        (await store.AppendMessageAsync(user, session.Id, message)).Id.Should().Be(message.Id, "the retry succeeds once the lock is gone");
    }

    [Fact]
    public async Task A_sqlite_file_locked_by_another_writer_is_a_transient_error_after_the_busy_timeout()
    {
        var folder = Path.Combine(Path.GetTempPath(), "chatpersistence-fault-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var path = Path.Combine(folder, "chat.db");
            var store = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = path, BusyTimeout = TimeSpan.FromSeconds(1) });
            var session = await store.GetOrCreateSessionAsync("ana", "locked");
            await using var other = new SqliteConnection($"Data Source={path};Pooling=False");
            await other.OpenAsync();
            await using (var begin = other.CreateCommand())
            {
                begin.CommandText = "BEGIN IMMEDIATE";
                await begin.ExecuteNonQueryAsync();
            }

            var message = NewChatMessage.User("waits for the file lock");
            var act = () => store.AppendMessageAsync("ana", session.Id, message).WaitAsync(Limit);

            (await act.Should().ThrowAsync<ChatPersistenceException>()).Which.IsTransient.Should().BeTrue();
            await using (var rollback = other.CreateCommand())
            {
                rollback.CommandText = "ROLLBACK";
                await rollback.ExecuteNonQueryAsync();
            }

            (await store.AppendMessageAsync("ana", session.Id, message)).Id.Should().Be(message.Id);
            (await store.GetMessagesAsync("ana", session.Id)).Messages.Should().ContainSingle();
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private async Task<string> NewUserAsync(string database)
    {
        var user = Guid.NewGuid();
        await using var connection = new NpgsqlConnection(cluster.Cluster.ConnectionString(database));
        await connection.OpenAsync();
        await using var insert = new NpgsqlCommand("insert into auth.users (id) values ($1)", connection);
        insert.Parameters.AddWithValue(user);
        await insert.ExecuteNonQueryAsync();
        return user.ToString();
    }
}
