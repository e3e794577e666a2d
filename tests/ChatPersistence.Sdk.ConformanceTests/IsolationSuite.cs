using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.ConformanceTests;

/// <summary>One user never sees or changes another user's data through the contract.</summary>
/// <typeparam name="TFixture">The store's fixture.</typeparam>
public abstract class IsolationSuite<TFixture>(TFixture fixture) : ConformanceSuite<TFixture>(fixture)
    where TFixture : ChatStoreFixture
{
    [Fact]
    public async Task Another_user_cannot_read_change_or_delete_a_session()
    {
        var a = await NewSessionAsync("A's title");
        var stored = await a.Store.AppendMessagesAsync(a.UserId, a.Session.Id, [NewChatMessage.User("segredo da Alice"), NewChatMessage.Assistant("resposta")]);
        await a.Store.SetFavoriteAsync(a.UserId, stored[0].Id, true);
        var b = await NewUserAsync();
        var id = a.Session.Id;

        (await b.Store.GetSessionAsync(b.Id, id)).Should().BeNull();
        (await b.Store.ListSessionsAsync(b.Id)).Items.Should().BeEmpty();
        (await b.Store.DeleteSessionAsync(b.Id, id)).Should().BeFalse();
        (await b.Store.SearchAsync(b.Id, new ChatSearchRequest("segredo"))).Items.Should().BeEmpty();
        (await b.Store.ListFavoritesAsync(b.Id)).Items.Should().BeEmpty();
        var denied = new Func<Task>[]
        {
            () => b.Store.GetMessagesAsync(b.Id, id),
            () => b.Store.AppendMessagesAsync(b.Id, id, [NewChatMessage.User("intruder")]),
            () => b.Store.RenameSessionAsync(b.Id, id, "hacked"),
            () => b.Store.ClearSessionAsync(b.Id, id),
            () => b.Store.SetFavoriteAsync(b.Id, stored[1].Id, true),
            () => b.Store.SetFavoriteAsync(b.Id, stored[0].Id, false),
            () => b.Store.SearchAsync(b.Id, new ChatSearchRequest("segredo") { SessionId = id }),
            () => b.Store.ListFavoritesAsync(b.Id, new ChatFavoritesRequest { SessionId = id }),
        };
        foreach (var call in denied)
        {
            await call.Should().ThrowAsync<ChatNotFoundException>();
        }

        var after = await a.Store.GetSessionAsync(a.UserId, id);
        after!.Title.Should().Be("A's title");
        after.MessageCount.Should().Be(2);
        var messages = await ReadAllAsync(a);
        messages.Select(m => m.Content).Should().Equal("segredo da Alice", "resposta");
        messages.Select(m => m.IsFavorite).Should().Equal(true, false);
    }

    [Fact]
    public async Task The_same_workflow_id_gives_each_user_their_own_session()
    {
        var a = await NewUserAsync();
        var b = await NewUserAsync();
        var sa = await a.Store.GetOrCreateSessionAsync(a.Id, "shared-workflow");
        var sb = await b.Store.GetOrCreateSessionAsync(b.Id, "shared-workflow");
        await a.Store.AppendMessageAsync(a.Id, sa.Id, NewChatMessage.User("from a"));

        sb.Id.Should().NotBe(sa.Id);
        (await b.Store.GetMessagesAsync(b.Id, sb.Id)).Messages.Should().BeEmpty();
    }

    [Fact]
    public async Task A_message_id_of_another_user_is_a_conflict_not_a_leak()
    {
        var a = await NewSessionAsync();
        var message = NewChatMessage.User("a's message");
        await a.Store.AppendMessageAsync(a.UserId, a.Session.Id, message);
        var b = await NewSessionAsync();

        var act = () => b.Store.AppendMessageAsync(b.UserId, b.Session.Id, message);

        await act.Should().ThrowAsync<ChatPersistenceException>();
        (await b.Store.GetMessagesAsync(b.UserId, b.Session.Id)).Messages.Should().BeEmpty();
        (await ReadAllAsync(a)).Should().ContainSingle();
    }

    [Fact]
    public async Task A_user_scoped_store_refuses_other_user_ids()
    {
        var a = await NewSessionAsync();
        var b = await NewUserAsync();
        if (!Fixture.StoresAreUserScoped)
        {
            // Stores serving any user id: the store of B is the same store; B's id sees nothing of A (see above).
            (await b.Store.GetSessionAsync(b.Id, a.Session.Id)).Should().BeNull();
            return;
        }

        var act = () => b.Store.GetMessagesAsync(a.UserId, a.Session.Id);
        await act.Should().ThrowAsync<ChatAccessDeniedException>();
        var append = () => b.Store.AppendMessageAsync(a.UserId, a.Session.Id, NewChatMessage.User("impersonation"));
        await append.Should().ThrowAsync<ChatAccessDeniedException>();
        (await ReadAllAsync(a)).Should().BeEmpty();
    }
}
