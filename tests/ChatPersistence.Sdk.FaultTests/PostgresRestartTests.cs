using ChatPersistence.Sdk.Postgres;
using ChatPersistence.Sdk.PostgresTesting;
using ChatPersistence.Sdk.PostgrestTesting;
using ChatPersistence.Sdk.Supabase;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Xunit;

namespace ChatPersistence.Sdk.FaultTests;

/// <summary>
/// PostgreSQL restarted (fast and immediate mode) under writers that keep appending: the stores report typed transient
/// errors, recover without being recreated, and after retries every acknowledged message is stored exactly once, in order.
/// Runs on a private throwaway cluster, since other test projects use theirs at the same time.
/// </summary>
[Collection(nameof(PrivateClusterTests))]
public sealed class PostgresRestartTests(PrivateCluster cluster)
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_postgres_store_survives_a_restart_with_no_message_lost_or_duplicated(bool immediate)
    {
        var database = await cluster.Cluster.CreateDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(cluster.Cluster.ConnectionString(database));
        var store = new PostgresChatSessionStore(dataSource);
        await RunThroughRestartAsync(store, dataSource, immediate);
    }

    [Fact]
    public async Task The_supabase_store_survives_a_restart_behind_the_api_with_no_message_lost_or_duplicated()
    {
        var database = await cluster.Cluster.CreateDatabaseAsync();
        await using var dataSource = NpgsqlDataSource.Create(cluster.Cluster.ConnectionString(database));
        await using var server = await PostgrestTestServer.StartAsync(new PostgrestTestServerOptions { ConnectionString = cluster.Cluster.ConnectionString(database) });
        var services = new ServiceCollection();
        services.AddChatPersistence().UseSupabase(o =>
        {
            o.Url = server.Url;
            o.ServiceRoleKey = server.ServiceRoleKey;
            o.RetryDelay = TimeSpan.FromMilliseconds(100);
            o.MaxRetryAttempts = 2;
        });
        await using var provider = services.BuildServiceProvider();
        await RunThroughRestartAsync(provider.GetRequiredService<IChatSessionStore>(), dataSource, immediate: true);
    }

    private async Task RunThroughRestartAsync(IChatSessionStore store, NpgsqlDataSource admin, bool immediate)
    {
        using var timeout = new CancellationTokenSource(Limit);
        var sessions = new List<(string User, Guid Session)>();
        for (var i = 0; i < 4; i++)
        {
            var user = Guid.NewGuid();
            await using (var insert = admin.CreateCommand("insert into auth.users (id) values ($1)"))
            {
                insert.Parameters.AddWithValue(user);
                await insert.ExecuteNonQueryAsync();
            }

            sessions.Add((user.ToString(), (await store.GetOrCreateSessionAsync(user.ToString(), "restart")).Id));
        }

        var writers = new Writers();
        var restarted = false;
        var running = sessions.Select(s => Task.Run(() => writers.RunAsync(store, s.User, s.Session, () => !Volatile.Read(ref restarted), minimum: 30, timeout.Token))).ToList();
        await Task.Delay(300, timeout.Token);
        await cluster.Cluster.RestartAsync(immediate);
        await Task.Delay(300, timeout.Token);
        Volatile.Write(ref restarted, true);
        await Task.WhenAll(running).WaitAsync(timeout.Token);

        writers.TransientCount.Should().BeGreaterThan(0, "the restart interrupted the writers");
        foreach (var (user, session) in sessions)
        {
            var stored = new List<Guid>();
            await foreach (var message in store.StreamMessagesAsync(user, session, cancellationToken: timeout.Token))
            {
                stored.Add(message.Id);
            }

            stored.Should().Equal(writers.Acknowledged[session], "every acknowledged message exactly once, in acknowledgement order");
        }
    }
}
