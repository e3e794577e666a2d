using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.ConformanceTests;

/// <summary>Clearing and deleting sessions.</summary>
/// <typeparam name="TFixture">The store's fixture.</typeparam>
public abstract class LifecycleSuite<TFixture>(TFixture fixture) : ConformanceSuite<TFixture>(fixture)
    where TFixture : ChatStoreFixture
{
    [Fact]
    public async Task Clear_deletes_the_messages_and_keeps_the_session()
    {
        var s = await NewSessionAsync("kept");
        var stored = await AppendManyAsync(s, 5);
        await s.Store.SetFavoriteAsync(s.UserId, stored[0].Id, true);

        (await s.Store.ClearSessionAsync(s.UserId, s.Session.Id)).Should().Be(5);

        var session = await s.Store.GetSessionAsync(s.UserId, s.Session.Id);
        session!.Title.Should().Be("kept");
        session.MessageCount.Should().Be(0);
        session.LastMessageAt.Should().BeNull();
        (await ReadAllAsync(s)).Should().BeEmpty();
        (await s.Store.ListFavoritesAsync(s.UserId)).Items.Should().BeEmpty();
        (await s.Store.SearchAsync(s.UserId, new ChatSearchRequest("m0"))).Items.Should().BeEmpty();
        (await s.Store.GetOrCreateSessionAsync(s.UserId, s.Session.WorkflowId)).Id.Should().Be(s.Session.Id);
        (await s.Store.ClearSessionAsync(s.UserId, s.Session.Id)).Should().Be(0);

        var after = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.User("fresh start"));
        after.Sequence.Should().BeGreaterThan(stored[^1].Sequence, "sequences are never reused");
    }

    [Fact]
    public async Task Clear_of_a_missing_session_is_not_found()
    {
        var user = await NewUserAsync();
        var act = () => user.Store.ClearSessionAsync(user.Id, Guid.NewGuid());
        await act.Should().ThrowAsync<ChatNotFoundException>();
    }

    [Fact]
    public async Task Delete_removes_the_session_and_its_messages()
    {
        var s = await NewSessionAsync();
        var stored = await AppendManyAsync(s, 3);
        await s.Store.SetFavoriteAsync(s.UserId, stored[1].Id, true);

        (await s.Store.DeleteSessionAsync(s.UserId, s.Session.Id)).Should().BeTrue();
        (await s.Store.DeleteSessionAsync(s.UserId, s.Session.Id)).Should().BeFalse();

        (await s.Store.GetSessionAsync(s.UserId, s.Session.Id)).Should().BeNull();
        (await s.Store.ListSessionsAsync(s.UserId)).Items.Should().BeEmpty();
        (await s.Store.ListFavoritesAsync(s.UserId)).Items.Should().BeEmpty();
        (await s.Store.SearchAsync(s.UserId, new ChatSearchRequest("m1"))).Items.Should().BeEmpty();
        var read = () => s.Store.GetMessagesAsync(s.UserId, s.Session.Id);
        await read.Should().ThrowAsync<ChatNotFoundException>();
        var favourite = () => s.Store.SetFavoriteAsync(s.UserId, stored[0].Id, true);
        await favourite.Should().ThrowAsync<ChatNotFoundException>();

        var recreated = await s.Store.GetOrCreateSessionAsync(s.UserId, s.Session.WorkflowId);
        recreated.Id.Should().NotBe(s.Session.Id);
        (await s.Store.GetMessagesAsync(s.UserId, recreated.Id)).Messages.Should().BeEmpty();
    }

    [Fact]
    public async Task A_deleted_message_id_can_be_appended_again()
    {
        var s = await NewSessionAsync();
        var message = NewChatMessage.User("again");
        await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, message);
        await s.Store.ClearSessionAsync(s.UserId, s.Session.Id);
        var again = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, message);
        again.Id.Should().Be(message.Id);
        (await ReadAllAsync(s)).Should().ContainSingle();
    }
}
