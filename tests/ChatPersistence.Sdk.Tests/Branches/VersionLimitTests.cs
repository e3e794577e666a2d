using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.Tests.Branches;

/// <summary><see cref="ChatPersistenceOptions.MaxVersions"/> on the reference store, and its validation.</summary>
public sealed class VersionLimitTests
{
    [Fact]
    public async Task One_version_more_than_MaxVersions_is_a_conflict_and_nothing_is_written()
    {
        var store = new InMemoryChatSessionStore(new ChatPersistenceOptions { MaxVersions = 2 });
        var session = await store.GetOrCreateSessionAsync("ana", "wf");
        var stored = await store.AppendMessagesAsync("ana", session.Id, [NewChatMessage.User("q"), NewChatMessage.Assistant("a")]);
        await store.AppendVersionAsync("ana", session.Id, stored[1].Id, NewChatMessage.Assistant("a again"));

        await FluentActions.Awaiting(() => store.AppendVersionAsync("ana", session.Id, stored[1].Id, NewChatMessage.Assistant("a third time")))
            .Should().ThrowAsync<ChatConflictException>().WithMessage("*MaxVersions*");
        await FluentActions.Awaiting(() => store.BeginReplyAsync("ana", session.Id, new NewChatReply { ParentId = stored[0].Id }))
            .Should().ThrowAsync<ChatConflictException>();

        // Two new children of the same parent in one batch count together; roots count as versions of the first message.
        await FluentActions.Awaiting(() => store.AppendMessagesAsync("ana", session.Id,
            [NewChatMessage.User("r1") with { ParentId = NewChatMessage.RootParent }, NewChatMessage.User("r2") with { ParentId = NewChatMessage.RootParent }]))
            .Should().ThrowAsync<ChatConflictException>();
        (await store.GetMessagesAsync("ana", session.Id, new ChatHistoryRequest { AllBranches = true })).Messages.Should().HaveCount(3);
        (await store.GetSessionAsync("ana", session.Id))!.MessageCount.Should().Be(3);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100_001)]
    public void MaxVersions_out_of_range_is_refused(int value) =>
        FluentActions.Invoking(() => new InMemoryChatSessionStore(new ChatPersistenceOptions { MaxVersions = value }))
            .Should().Throw<ArgumentException>().WithMessage("*MaxVersions*");
}
