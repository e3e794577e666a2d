using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.ConformanceTests;

/// <summary>Retention: idle sessions of all users deleted oldest first, in batches. Runs in its own fixture (own storage).</summary>
/// <typeparam name="TFixture">The store's fixture.</typeparam>
public abstract class RetentionSuite<TFixture>(TFixture fixture) : ConformanceSuite<TFixture>(fixture)
    where TFixture : ChatStoreFixture
{
    [Fact]
    public async Task Idle_sessions_are_deleted_oldest_first_in_batches_and_active_ones_kept()
    {
        var a = await NewUserAsync();
        var b = await NewUserAsync();
        var old1 = await a.Store.GetOrCreateSessionAsync(a.Id, "old-1");
        await a.Store.AppendMessageAsync(a.Id, old1.Id, NewChatMessage.User("old message"));
        await Task.Delay(20);
        var old2 = await b.Store.GetOrCreateSessionAsync(b.Id, "old-2");
        await Task.Delay(20);
        var old3 = await a.Store.GetOrCreateSessionAsync(a.Id, "old-3");
        await Task.Delay(50);
        var cutoff = (await a.Store.GetSessionAsync(a.Id, old3.Id))!.UpdatedAt.AddTicks(10);
        await Task.Delay(50);
        var fresh = await b.Store.GetOrCreateSessionAsync(b.Id, "fresh");
        var revived = await a.Store.GetOrCreateSessionAsync(a.Id, "revived");
        await a.Store.AppendMessageAsync(a.Id, revived.Id, NewChatMessage.User("still active"));

        (await Fixture.AdminStore.DeleteIdleSessionsAsync(cutoff, maxSessions: 2)).Should().Be(2);
        (await a.Store.GetSessionAsync(a.Id, old1.Id)).Should().BeNull("the oldest goes first");
        (await b.Store.GetSessionAsync(b.Id, old2.Id)).Should().BeNull();
        (await a.Store.GetSessionAsync(a.Id, old3.Id)).Should().NotBeNull("the batch was full");

        (await Fixture.AdminStore.DeleteIdleSessionsAsync(cutoff, maxSessions: 2)).Should().Be(1);
        (await Fixture.AdminStore.DeleteIdleSessionsAsync(cutoff)).Should().Be(0);
        (await a.Store.GetSessionAsync(a.Id, old3.Id)).Should().BeNull();
        (await b.Store.GetSessionAsync(b.Id, fresh.Id)).Should().NotBeNull();
        (await a.Store.GetMessagesAsync(a.Id, revived.Id)).Messages.Should().ContainSingle();
        var gone = () => a.Store.GetMessagesAsync(a.Id, old1.Id);
        await gone.Should().ThrowAsync<ChatNotFoundException>();
    }
}
