using System.Diagnostics;
using ChatPersistence.Sdk.ChangeFeed;
using ChatPersistence.Sdk.Internal;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace ChatPersistence.Sdk.Decorators.Tests;

/// <summary>
/// Two (or three) hosts — each its own service provider with its own store instance, change feed and
/// <c>UseCaching()</c> — on one database (a SQLite file, or a PostgreSQL database) and one Redis server started by the test. Writes on one host, reads on
/// another: every read returns either the state before the write or after it, and once the feed has delivered the change
/// (SQLite: polling, 50 ms here; PostgreSQL: LISTEN/NOTIFY) no read returns the old state again. The expiration is 10 minutes, so freshness can only come from
/// the feed.
/// </summary>
public abstract class CrossHostCachingTests(ITestOutputHelper output) : IAsyncLifetime
{
    // A hang bound, not a timing: delivery takes milliseconds; a minute only catches a feed that never delivers.
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly List<ServiceProvider> _hosts = [];
    private RedisServer _redis = null!;

    public virtual async Task InitializeAsync() => _redis = await RedisServer.StartAsync();

    public virtual async Task DisposeAsync()
    {
        foreach (var host in _hosts)
        {
            await host.DisposeAsync();
        }

        await _redis.DisposeAsync();
    }

    /// <summary>A user the store accepts.</summary>
    protected abstract Task<string> NewUserAsync();

    /// <summary>A new store instance and its change feed over the shared database, as another process would have.</summary>
    protected abstract (IChatSessionStore Store, IChatChangeFeed Feed) OpenStore();

    [Fact]
    public async Task Writes_on_one_host_are_seen_on_the_other_once_the_feed_delivered_them()
    {
        var (a, _, _) = StartHost();
        var (b, bCalls, bCache) = StartHost();
        var user = await NewUserAsync();
        var session = await a.GetOrCreateSessionAsync(user, "wf", "Start");
        await a.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("m0")]);
        (await b.GetMessagesAsync(user, session.Id)).Messages.Select(m => m.Content).Should().Equal("m0");
        bCache.HasDistributedCache.Should().BeTrue();
        bCache.WatchedUsers.Should().Be(1, "reading a user starts watching them");

        var latencies = new List<double>();
        for (var i = 1; i <= 20; i++)
        {
            var before = Contents(await b.GetMessagesAsync(user, session.Id));
            var write = Stopwatch.StartNew();
            switch (i % 4)
            {
                case 0:
                    await a.RenameSessionAsync(user, session.Id, $"Title {i}");
                    latencies.Add(await UntilAsync(async () => (await b.GetSessionAsync(user, session.Id))!.Title == $"Title {i}", write));
                    (await b.GetOrCreateSessionAsync(user, "wf")).Title.Should().Be($"Title {i}");
                    continue;
                case 1:
                    var added = await a.AppendMessagesAsync(user, session.Id, [NewChatMessage.User($"m{i}")]);
                    latencies.Add(await UntilAsync(
                        async () =>
                        {
                            var now = Contents(await b.GetMessagesAsync(user, session.Id));
                            (now.SequenceEqual(before) || now.SequenceEqual([.. before, $"m{i}"])).Should().BeTrue("a read is the state before the write or after it, not {0}", string.Join(",", now));
                            return now.Count == before.Count + 1;
                        },
                        write));
                    (await b.GetSessionAsync(user, session.Id))!.LastMessageAt.Should().Be(added[0].CreatedAt);
                    (await b.GetSessionAsync(user, session.Id))!.MessageCount.Should().Be(before.Count + 1);
                    continue;
                case 2:
                    var last = (await a.GetMessagesAsync(user, session.Id)).Messages[^1];
                    await a.SetFavoriteAsync(user, last.Id, true);
                    latencies.Add(await UntilAsync(async () => (await b.GetMessagesAsync(user, session.Id)).Messages[^1].IsFavorite, write));
                    continue;
                default:
                    await a.ClearSessionAsync(user, session.Id);
                    latencies.Add(await UntilAsync(async () => (await b.GetMessagesAsync(user, session.Id)).Messages.Count == 0, write));
                    await a.AppendMessagesAsync(user, session.Id, [NewChatMessage.User($"m{i}")]);
                    await UntilAsync(async () => (await b.GetMessagesAsync(user, session.Id)).Messages.Count == 1, write);
                    continue;
            }
        }

        // Everything delivered (a read can be fresh before its change is delivered, when B did not have it cached): B's
        // reads are fresh, then cache hits.
        await Task.Delay(500);
        _ = await b.GetMessagesAsync(user, session.Id);
        _ = await b.GetOrCreateSessionAsync(user, "wf");
        var calls = bCalls.Calls.Values.Sum();
        var page = await b.GetMessagesAsync(user, session.Id);
        var again = await b.GetOrCreateSessionAsync(user, "wf");
        bCalls.Calls.Values.Sum().Should().Be(calls, "after the last eviction B cached the fresh state");
        page.Messages.Select(m => m.Id).Should().Equal((await a.GetMessagesAsync(user, session.Id)).Messages.Select(m => m.Id));
        again.Should().Be(await a.GetSessionAsync(user, session.Id));
        latencies.Sort();
        output.WriteLine($"{GetType().Name}: write on A → fresh read on B: p50 {latencies[latencies.Count / 2]:F1} ms, max {latencies[^1]:F1} ms");
    }

    [Fact]
    public async Task A_third_hosts_first_reads_come_from_redis()
    {
        var (a, _, aCache) = StartHost();
        _ = await a.GetSessionAsync(await NewUserAsync(), Guid.NewGuid()); // resolves the cache, which starts the feed
        await UntilAsync(() => Task.FromResult(aCache.IsLive), Stopwatch.StartNew()); // until then reads go to the store
        var user = await NewUserAsync();
        var session = await a.GetOrCreateSessionAsync(user, "wf");
        await a.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("hello")]);
        _ = await a.GetOrCreateSessionAsync(user, "wf");
        _ = await a.GetMessagesAsync(user, session.Id);

        // HybridCache writes the second tier after handing the value to the caller, so Redis has the entries a moment later
        // (longer on a busy machine): a new host is started until one reads everything without a store call, within a hang
        // bound. Each attempt is a fresh host with an empty in-process tier, so a read without a store call came from Redis.
        var waited = Stopwatch.StartNew();
        while (true)
        {
            var (c, cCalls, cCache) = StartHost();
            _ = await c.GetSessionAsync(user, Guid.NewGuid()); // resolves the cache, which starts the feed
            await UntilAsync(() => Task.FromResult(cCache.IsLive), Stopwatch.StartNew()); // until then reads go to the store
            cCalls.Calls.Clear();
            var reopened = await c.GetOrCreateSessionAsync(user, "wf");
            var page = await c.GetMessagesAsync(user, session.Id);
            reopened.Id.Should().Be(session.Id);
            page.Messages.Select(m => m.Content).Should().Equal("hello");
            if (cCalls.Calls.Values.Sum() == 0)
            {
                return;
            }

            waited.Elapsed.Should().BeLessThan(Deadline, "the session id, the session and the page reach Redis (store calls: {0})", cCalls.Calls.Values.Sum());
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task With_redis_down_reads_fall_back_to_the_database_and_are_never_wrong()
    {
        var (a, _, _) = StartHost();
        var (b, bCalls, _) = StartHost();
        var user = await NewUserAsync();
        var session = await a.GetOrCreateSessionAsync(user, "wf");
        await a.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("before")]);
        (await b.GetMessagesAsync(user, session.Id)).Messages.Should().HaveCount(1);
        _ = await a.GetMessagesAsync(user, session.Id);

        _redis.Stop();
        var expected = new List<string> { "before" };
        var reads = Stopwatch.StartNew();
        var readCount = 0;
        for (var i = 0; i < 10; i++)
        {
            await a.AppendMessagesAsync(user, session.Id, [NewChatMessage.User($"down-{i}")]);
            var previous = expected.ToList();
            expected.Add($"down-{i}");
            Contents(await a.GetMessagesAsync(user, session.Id)).Should().Equal(expected, "the writing host never reads its own write stale");
            await UntilAsync(
                async () =>
                {
                    readCount++;
                    var now = Contents(await b.GetMessagesAsync(user, session.Id));
                    (now.SequenceEqual(previous) || now.SequenceEqual(expected)).Should().BeTrue("a read is the state before the write or after it, Redis or not, not {0}", string.Join(",", now));
                    return now.Count == expected.Count;
                },
                Stopwatch.StartNew());
        }

        output.WriteLine($"{GetType().Name}: Redis down: {readCount} reads on B in {reads.ElapsedMilliseconds} ms including the waits for the feed");

        // A host started while Redis is down works from the database.
        var (c, cCalls, _) = StartHost();
        Contents(await c.GetMessagesAsync(user, session.Id)).Should().Equal(expected);
        cCalls["GetMessagesAsync"].Should().Be(1);

        // Redis back (empty): still right, and the tier is used again.
        await _redis.StartAgainAsync();
        await a.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("after")]);
        expected.Add("after");
        await UntilAsync(async () => Contents(await b.GetMessagesAsync(user, session.Id)).SequenceEqual(expected), Stopwatch.StartNew());
        await UntilAsync(async () => Contents(await c.GetMessagesAsync(user, session.Id)).SequenceEqual(expected), Stopwatch.StartNew());
        bCalls["GetMessagesAsync"].Should().BeGreaterThan(0);
    }

    private static List<string> Contents(ChatMessagePage page) => page.Messages.Select(m => m.Content).ToList();

    protected static async Task<double> UntilAsync(Func<Task<bool>> condition, Stopwatch since)
    {
        while (!await condition())
        {
            since.Elapsed.Should().BeLessThan(Deadline, "the change feed delivers other hosts' writes well within the deadline");
            await Task.Delay(5);
        }

        return since.Elapsed.TotalMilliseconds;
    }

    private protected (IChatSessionStore Store, CountingStore Calls, ChatCache Cache) StartHost()
    {
        var (store, feed) = OpenStore();
        var counting = new CountingStore(store);
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddStackExchangeRedisCache(o => o.ConfigurationOptions = _redis.ClientOptions());
        services.AddChatPersistence()
            .UseCaching(o => o.Expiration = TimeSpan.FromMinutes(10))
            .UseStore(_ => counting)
            .UseChangeFeed(_ => feed);
        var provider = services.BuildServiceProvider();
        _hosts.Add(provider);
        return (provider.GetRequiredService<IChatSessionStore>(), counting, provider.GetRequiredService<ChatCache>());
    }
}
