using System.Collections.Concurrent;
using ChatPersistence.Sdk.ChangeFeed;
using ChatPersistence.Sdk.ConformanceTests;
using ChatPersistence.Sdk.PostgresTesting;
using FluentAssertions;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace ChatPersistence.Sdk.Postgres.Tests.ChangeFeed;

/// <summary>The server restarts while changes stream: the listener reconnects and catches up, nothing missed or repeated.</summary>
public sealed class PostgresFeedRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_server_restart_mid_stream_loses_nothing_and_repeats_nothing()
    {
        await using var cluster = await PostgresCluster.StartPrivateAsync();
        var database = await cluster.CreateDatabaseAsync();
        var connectionString = cluster.ConnectionString(database);
        await using var writerSource = NpgsqlDataSource.Create(connectionString);
        await using var store = new PostgresChatSessionStore(writerSource);
        await using var feed = new PostgresChatChangeFeed(connectionString,
            new PostgresChatChangeFeedOptions { KeepAliveInterval = TimeSpan.FromMilliseconds(200), ReconnectDelay = TimeSpan.FromMilliseconds(100) }, null);
        await feed.StartAsync();

        var user = await PostgresFeedFixture.CreateUserAsync(writerSource);
        var sessions = new ChatSession[4];
        for (var i = 0; i < sessions.Length; i++)
        {
            sessions[i] = await store.GetOrCreateSessionAsync(user, "wf-" + i);
        }

        await using var watch = FeedWatch.Start(feed, user);
        var acknowledged = new ConcurrentBag<(Guid Session, long Sequence)>();
        var restarted = new TaskCompletionSource();
        const int PerSession = 60;
        var writers = sessions.Select((s, index) => Task.Run(async () =>
        {
            for (var i = 0; i < PerSession; i++)
            {
                var message = NewChatMessage.User($"s{index}-m{i}");
                while (true)
                {
                    try
                    {
                        // The same message id on retry: an append whose acknowledgement was lost is not stored twice.
                        var stored = await store.AppendMessagesAsync(user, s.Id, [message]);
                        acknowledged.Add((s.Id, stored[0].Sequence));
                        break;
                    }
                    catch (ChatPersistenceException ex) when (ex.IsTransient || ex.InnerException is NpgsqlException)
                    {
                        await Task.Delay(50);
                    }
                }

                if (i == PerSession / 3 && index == 0)
                {
                    await restarted.Task;
                }

                await Task.Delay(5);
            }
        })).ToArray();

        await Task.Delay(300);
        await cluster.RestartAsync(immediate: true);
        restarted.SetResult();
        await Task.WhenAll(writers);

        var expected = sessions.Length * PerSession;
        await watch.WaitForAsync(expected, TimeSpan.FromSeconds(60));
        await Task.Delay(1000);
        var received = watch.Received;
        received.Select(c => c.Position).Should().OnlyHaveUniqueItems("nothing is delivered twice");
        received.Should().OnlyContain(c => c.Kind == ChatChangeKind.MessagesAppended);
        received.Should().HaveCount(expected, "each acknowledged append is one change, seen once");
        foreach (var s in sessions)
        {
            var sequences = received.Where(c => c.SessionId == s.Id).Select(c => c.Sequence!.Value).ToArray();
            sequences.Should().BeEquivalentTo(acknowledged.Where(a => a.Session == s.Id).Select(a => a.Sequence));
        }

        feed.ConnectionCount.Should().BeGreaterThanOrEqualTo(2, "the listener reconnected after the restart");
        output.WriteLine($"{expected} appends across an immediate-mode restart: all received once; listener connected {feed.ConnectionCount} times");
    }
}
