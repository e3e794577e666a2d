using ChatPersistence.Sdk.Internal;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace ChatPersistence.Sdk.Decorators.Tests;

/// <summary>
/// The cache's change-feed watcher, in one process: a shared in-memory store written behind the cache's back (as another
/// host would), through a feed the test can break. The expiration is 10 minutes: freshness can only come from the feed.
/// </summary>
public sealed class FeedCachingTests : IAsyncLifetime
{
    // A hang bound, not a timing: delivery takes milliseconds; a minute only catches a feed that never delivers.
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private readonly InMemoryChatSessionStore _store = new();
    private readonly List<ServiceProvider> _providers = [];
    private FlakyFeed _feed = null!;

    public Task InitializeAsync()
    {
        _feed = new FlakyFeed(_store);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_change_from_elsewhere_evicts_exactly_its_session()
    {
        var (cached, calls, _) = Build();
        var user = NewUser();
        var one = await _store.GetOrCreateSessionAsync(user, "one");
        var two = await _store.GetOrCreateSessionAsync(user, "two");
        _ = await cached.GetMessagesAsync(user, one.Id);
        _ = await cached.GetMessagesAsync(user, two.Id);
        var before = calls["GetMessagesAsync"];

        await _store.AppendMessagesAsync(user, one.Id, [NewChatMessage.User("elsewhere")]);

        await UntilAsync(async () => (await cached.GetMessagesAsync(user, one.Id)).Messages.Count == 1);
        var reads = calls["GetMessagesAsync"];
        _ = await cached.GetMessagesAsync(user, two.Id);
        _ = await cached.GetMessagesAsync(user, one.Id);
        calls["GetMessagesAsync"].Should().Be(reads, "the other session stayed cached and the changed one is cached again");
        reads.Should().BeGreaterThan(before);
    }

    [Fact]
    public async Task Watches_are_bounded_and_a_dropped_user_is_evicted()
    {
        var (cached, calls, cache) = Build(maxWatchedUsers: 2);
        var users = Enumerable.Range(0, 3).Select(_ => NewUser()).ToArray();
        var sessions = new List<Guid>();
        foreach (var user in users)
        {
            var session = await _store.GetOrCreateSessionAsync(user, "wf");
            sessions.Add(session.Id);
            _ = await cached.GetMessagesAsync(user, session.Id);
        }

        cache.WatchedUsers.Should().Be(2);
        var before = calls["GetMessagesAsync"];
        await UntilAsync(async () =>
        {
            _ = await cached.GetMessagesAsync(users[0], sessions[0]);
            return calls["GetMessagesAsync"] > before;
        });

        // users[0] is watched again (users[1], now least recently read, was dropped); a change of it is seen.
        await _store.AppendMessagesAsync(users[0], sessions[0], [NewChatMessage.User("after")]);
        await UntilAsync(async () => (await cached.GetMessagesAsync(users[0], sessions[0])).Messages.Count == 1);
        cache.WatchedUsers.Should().Be(2);
    }

    [Fact]
    public async Task A_failing_feed_evicts_the_user_and_resubscribes_after_the_last_position()
    {
        var (cached, calls, _) = Build();
        var user = NewUser();
        var session = await _store.GetOrCreateSessionAsync(user, "wf");
        _ = await cached.GetMessagesAsync(user, session.Id);
        await _store.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("one")]);
        await UntilAsync(async () => (await cached.GetMessagesAsync(user, session.Id)).Messages.Count == 1);
        var before = calls["GetMessagesAsync"];
        _ = await cached.GetMessagesAsync(user, session.Id);
        calls["GetMessagesAsync"].Should().Be(before, "cached");

        _feed.Break();
        await UntilAsync(async () =>
        {
            _ = await cached.GetMessagesAsync(user, session.Id);
            return calls["GetMessagesAsync"] > before;
        });

        // While the watch is down (500 ms back-off), a change is made; the resubscription replays it.
        await _store.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("two")]);
        await UntilAsync(async () => (await cached.GetMessagesAsync(user, session.Id)).Messages.Count == 2);
        await UntilAsync(() => Task.FromResult(_feed.Subscriptions.Count(s => s.UserId == user) >= 2));
        _feed.Subscriptions.Where(s => s.UserId == user).Select(s => s.AfterPosition).Should().HaveCount(2)
            .And.Subject.Last().Should().NotBeNull("the watch resumes after the last position it saw");
        await _store.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("three")]);
        await UntilAsync(async () => (await cached.GetMessagesAsync(user, session.Id)).Messages.Count == 3);
    }

    [Fact]
    public async Task Until_the_feed_is_live_reads_go_to_the_store()
    {
        _feed.Started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (cached, calls, cache) = Build();
        var user = NewUser();
        var session = await _store.GetOrCreateSessionAsync(user, "wf");
        _ = await cached.GetMessagesAsync(user, session.Id);
        _ = await cached.GetMessagesAsync(user, session.Id);
        calls["GetMessagesAsync"].Should().Be(2, "a watch subscribed before the feed is live could miss a change");
        cache.IsLive.Should().BeFalse();

        _feed.Started.SetResult();
        await UntilAsync(() => Task.FromResult(cache.IsLive));
        _ = await cached.GetMessagesAsync(user, session.Id);
        _ = await cached.GetMessagesAsync(user, session.Id);
        calls["GetMessagesAsync"].Should().Be(3);
    }

    [Fact]
    public async Task A_user_the_feed_refuses_is_still_cached()
    {
        var (cached, calls, cache) = Build();
        var user = NewUser();
        _feed.RefusedUsers.Add(user);
        var session = await cached.GetOrCreateSessionAsync(user, "wf");
        _ = await cached.GetMessagesAsync(user, session.Id);
        var before = calls.Calls.Values.Sum();
        _ = await cached.GetOrCreateSessionAsync(user, "wf");
        _ = await cached.GetMessagesAsync(user, session.Id);
        calls.Calls.Values.Sum().Should().Be(before);
        cache.WatchedUsers.Should().Be(0);
    }

    private static string NewUser() => "user-" + Guid.NewGuid().ToString("N");

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var started = DateTime.UtcNow;
        while (!await condition())
        {
            (DateTime.UtcNow - started).Should().BeLessThan(Deadline);
            await Task.Delay(5);
        }
    }

    private (IChatSessionStore Store, CountingStore Calls, ChatCache Cache) Build(int maxWatchedUsers = 1000)
    {
        var counting = new CountingStore(_store);
        var services = new ServiceCollection();
        services.AddChatPersistence()
            .UseCaching(o =>
            {
                o.Expiration = TimeSpan.FromMinutes(10);
                o.MaxWatchedUsers = maxWatchedUsers;
            })
            .UseStore(_ => counting)
            .UseChangeFeed(_ => _feed);
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return (provider.GetRequiredService<IChatSessionStore>(), counting, provider.GetRequiredService<ChatCache>());
    }
}
