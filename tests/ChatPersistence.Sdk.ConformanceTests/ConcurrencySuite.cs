using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.ConformanceTests;

/// <summary>Concurrent get-or-create and appends: no duplicate session, no lost or duplicated message, strict order.</summary>
/// <typeparam name="TFixture">The store's fixture.</typeparam>
public abstract class ConcurrencySuite<TFixture>(TFixture fixture) : ConformanceSuite<TFixture>(fixture)
    where TFixture : ChatStoreFixture
{
    private const int Callers = 64;
    private const int AppendsPerWriter = 100;

    [Fact]
    public async Task Concurrent_get_or_create_yields_exactly_one_session()
    {
        var user = await NewUserAsync();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var tasks = Enumerable.Range(0, Callers)
            .Select(_ => Task.Run(async () =>
            {
                await start.Task;
                return await user.Store.GetOrCreateSessionAsync(user.Id, "contended");
            }))
            .ToArray();
        start.SetResult();
        var sessions = await Task.WhenAll(tasks);

        sessions.Select(s => s.Id).Distinct().Should().ContainSingle();
        (await user.Store.ListSessionsAsync(user.Id)).Items.Should().ContainSingle();
    }

    [Fact]
    public async Task Concurrent_writers_lose_nothing_and_keep_each_writers_order()
    {
        var s = await NewSessionAsync();
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writers = Enumerable.Range(0, Callers)
            .Select(writer => Task.Run(async () =>
            {
                await start.Task;
                var acknowledged = new List<StoredChatMessage>(AppendsPerWriter);
                for (var i = 0; i < AppendsPerWriter; i++)
                {
                    acknowledged.Add(await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.User($"w{writer}:{i}")));
                }

                return acknowledged;
            }))
            .ToArray();
        start.SetResult();
        var acks = await Task.WhenAll(writers);

        var all = await ReadAllAsync(s);
        all.Should().HaveCount(Callers * AppendsPerWriter);
        all.Select(m => m.Id).Should().OnlyHaveUniqueItems();
        all.Select(m => m.Sequence).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        // Sorted comparison: FluentAssertions' BeEquivalentTo is quadratic on 6,400 items.
        all.Select(m => m.Id).Order().Should().Equal(acks.SelectMany(a => a).Select(m => m.Id).Order(), "every acknowledged message is stored exactly once");
        for (var writer = 0; writer < Callers; writer++)
        {
            var prefix = $"w{writer}:";
            all.Where(m => m.Content.StartsWith(prefix, StringComparison.Ordinal))
                .Select(m => m.Content)
                .Should().Equal(Enumerable.Range(0, AppendsPerWriter).Select(i => prefix + i));
        }

        (await s.Store.GetSessionAsync(s.UserId, s.Session.Id))!.MessageCount.Should().Be(Callers * AppendsPerWriter);
    }

    [Fact]
    public async Task Concurrent_retries_of_the_same_batch_store_it_once()
    {
        var s = await NewSessionAsync();
        var batch = Enumerable.Range(0, 10).Select(i => NewChatMessage.User("r" + i)).ToArray();
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() => s.Store.AppendMessagesAsync(s.UserId, s.Session.Id, batch))));

        (await ReadAllAsync(s)).Select(m => m.Id).Should().Equal(batch.Select(m => m.Id));
        results.Select(r => string.Join(",", r.Select(m => m.Sequence))).Distinct().Should().ContainSingle();
    }
}
