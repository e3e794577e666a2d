using ChatPersistence.Sdk.Postgres;
using FluentAssertions;
using Npgsql;
using Xunit;

namespace ChatPersistence.Sdk.FaultTests;

/// <summary>
/// A call cancelled while PostgreSQL commits it is rolled back, yet Npgsql has already handed over its row: the store must not
/// acknowledge it. Found by the streaming load (a writer's end cancels its in-flight flush; with a NOTIFY per flush the commit
/// waits for the cluster-wide notify lock, and the cancel landed there: acknowledged text lost). Here a deferred trigger holds
/// the commit for a second, deterministically.
/// </summary>
[Collection(nameof(PrivateClusterTests))]
public sealed class CancelledCommitTests(PrivateCluster cluster)
{
    [Fact]
    public async Task A_grow_cancelled_while_it_commits_is_never_acknowledged_unless_stored()
    {
        var connectionString = cluster.Cluster.ConnectionString(await cluster.Cluster.CreateDatabaseAsync());
        await using var admin = NpgsqlDataSource.Create(connectionString);
        var user = Guid.NewGuid();
        await using (var insert = admin.CreateCommand("insert into auth.users (id) values ($1)"))
        {
            insert.Parameters.AddWithValue(user);
            await insert.ExecuteNonQueryAsync();
        }

        await using (var setup = admin.CreateCommand(
            """
            create function chat_private.test_slow_commit() returns trigger language plpgsql as $$ begin perform pg_sleep(1); return null; end $$;
            create constraint trigger test_slow_commit after insert on chat_private.chat_reply_chunks
              deferrable initially deferred for each row execute function chat_private.test_slow_commit();
            """))
        {
            await setup.ExecuteNonQueryAsync();
        }

        await using var store = new PostgresChatSessionStore(connectionString);
        var session = await store.GetOrCreateSessionAsync(user.ToString(), "cancelled-commit");
        var reply = await store.BeginReplyAsync(user.ToString(), session.Id, new NewChatReply());
        using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));
        Exception? thrown = null;
        try
        {
            await store.GrowReplyAsync(user.ToString(), reply.Id, 0, "hello", cancel.Token);
        }
        catch (Exception ex)
        {
            thrown = ex;
        }

        var stored = await store.ReadReplyAsync(user.ToString(), reply.Id);
        if (thrown is null)
        {
            stored.Text.Should().Be("hello", "a grow that returned normally was acknowledged, so its text must be stored");
        }
        else
        {
            thrown.Should().BeAssignableTo<OperationCanceledException>();
            stored.Text.Should().BeOneOf("", "hello");
        }
    }
}
