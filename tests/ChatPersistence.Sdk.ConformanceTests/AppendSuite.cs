using System.Text.Json;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.ConformanceTests;

/// <summary>Appends: order, timestamps, session bookkeeping, idempotency, conflicts, atomicity.</summary>
/// <typeparam name="TFixture">The store's fixture.</typeparam>
public abstract class AppendSuite<TFixture>(TFixture fixture) : ConformanceSuite<TFixture>(fixture)
    where TFixture : ChatStoreFixture
{
    [Fact]
    public async Task Append_returns_the_stored_messages_in_order_with_increasing_sequences()
    {
        var s = await NewSessionAsync();
        var metadata = JsonDocument.Parse("""{"model":"gpt","usage":{"input":3,"output":5}}""").RootElement;
        var batch = new[]
        {
            NewChatMessage.User("Qual é o status?"),
            NewChatMessage.Assistant("Tudo certo.", metadata),
            new NewChatMessage(ChatMessageRole.System, "be brief"),
            new NewChatMessage(ChatMessageRole.Tool, "{\"ok\":true}"),
        };

        var stored = await s.Store.AppendMessagesAsync(s.UserId, s.Session.Id, batch);

        stored.Select(m => m.Id).Should().Equal(batch.Select(m => m.Id));
        stored.Select(m => m.Role).Should().Equal(ChatMessageRole.User, ChatMessageRole.Assistant, ChatMessageRole.System, ChatMessageRole.Tool);
        stored.Select(m => m.Content).Should().Equal(batch.Select(m => m.Content));
        stored.Select(m => m.Sequence).Should().BeInAscendingOrder().And.OnlyHaveUniqueItems();
        stored.Should().OnlyContain(m => m.SessionId == s.Session.Id && !m.IsFavorite && m.CreatedAt.Offset == TimeSpan.Zero);
        JsonElement.DeepEquals(stored[1].Metadata, metadata).Should().BeTrue();
        stored[0].Metadata.ValueKind.Should().Be(JsonValueKind.Object);
        stored[0].Metadata.EnumerateObject().Should().BeEmpty();

        var next = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.User("later"));
        next.Sequence.Should().BeGreaterThan(stored[^1].Sequence);
    }

    [Fact]
    public async Task Append_bumps_the_session_activity_and_counts()
    {
        var s = await NewSessionAsync();
        await Task.Delay(5);
        var stored = await AppendManyAsync(s, 3);
        var session = await s.Store.GetSessionAsync(s.UserId, s.Session.Id);

        session!.UpdatedAt.Should().BeOnOrAfter(s.Session.UpdatedAt);
        session.MessageCount.Should().Be(3);
        session.LastMessageAt.Should().Be(stored[^1].CreatedAt);
    }

    [Fact]
    public async Task Client_supplied_creation_time_is_kept_truncated_to_microseconds()
    {
        var s = await NewSessionAsync();
        var at = new DateTimeOffset(2024, 2, 29, 23, 59, 58, TimeSpan.FromHours(-3)).AddTicks(1234567);
        var stored = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.User("imported") with { CreatedAt = at });

        stored.CreatedAt.Should().Be(new DateTimeOffset(2024, 3, 1, 2, 59, 58, TimeSpan.Zero).AddTicks(1234560));
        stored.CreatedAt.Offset.Should().Be(TimeSpan.Zero);
        var read = await ReadAllAsync(s);
        read.Single().CreatedAt.Should().Be(stored.CreatedAt);
    }

    [Fact]
    public async Task Store_time_is_utc_at_microsecond_precision()
    {
        var s = await NewSessionAsync();
        var stored = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.User("now"));
        stored.CreatedAt.Offset.Should().Be(TimeSpan.Zero);
        (stored.CreatedAt.UtcTicks % 10).Should().Be(0);
        stored.CreatedAt.Should().BeCloseTo(DateTimeOffset.UtcNow, TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task Retrying_an_append_never_duplicates()
    {
        var s = await NewSessionAsync();
        var batch = new[] { NewChatMessage.User("one"), NewChatMessage.Assistant("two", JsonDocument.Parse("""{"b":1,"a":[1,2]}""").RootElement) };
        var first = await s.Store.AppendMessagesAsync(s.UserId, s.Session.Id, batch);
        var retry = await s.Store.AppendMessagesAsync(s.UserId, s.Session.Id, batch);
        var retryOne = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, batch[1]);

        retry.Should().BeEquivalentTo(first, o => o.ComparingByMembers<JsonElement>().Excluding(m => m.Metadata));
        retry.Select(m => m.Sequence).Should().Equal(first.Select(m => m.Sequence));
        retryOne.Sequence.Should().Be(first[1].Sequence);
        (await ReadAllAsync(s)).Should().HaveCount(2);
        (await s.Store.GetSessionAsync(s.UserId, s.Session.Id))!.MessageCount.Should().Be(2);
    }

    [Fact]
    public async Task A_retry_mixed_with_new_messages_stores_only_the_new_ones()
    {
        var s = await NewSessionAsync();
        var old = NewChatMessage.User("old");
        var firstStored = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, old);
        var fresh = NewChatMessage.Assistant("fresh");
        var stored = await s.Store.AppendMessagesAsync(s.UserId, s.Session.Id, [old, fresh]);

        stored[0].Sequence.Should().Be(firstStored.Sequence);
        stored[1].Sequence.Should().BeGreaterThan(firstStored.Sequence);
        (await ReadAllAsync(s)).Select(m => m.Content).Should().Equal("old", "fresh");
    }

    [Theory]
    [InlineData("content")]
    [InlineData("role")]
    [InlineData("metadata")]
    public async Task Same_id_with_different_data_is_a_conflict_and_nothing_is_written(string difference)
    {
        var s = await NewSessionAsync();
        var original = NewChatMessage.User("original", JsonDocument.Parse("""{"k":1}""").RootElement);
        await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, original);
        var changed = difference switch
        {
            "content" => original with { Content = "changed" },
            "role" => original with { Role = ChatMessageRole.Assistant },
            _ => original with { Metadata = JsonDocument.Parse("""{"k":2}""").RootElement },
        };
        var innocent = NewChatMessage.User("must not be written");

        var act = () => s.Store.AppendMessagesAsync(s.UserId, s.Session.Id, [innocent, changed]);

        (await act.Should().ThrowAsync<ChatConflictException>()).Which.IsTransient.Should().BeFalse();
        var all = await ReadAllAsync(s);
        all.Should().ContainSingle().Which.Content.Should().Be("original");
        (await s.Store.GetSessionAsync(s.UserId, s.Session.Id))!.MessageCount.Should().Be(1);
    }

    [Fact]
    public async Task Same_id_in_another_session_is_a_conflict()
    {
        var s = await NewSessionAsync();
        var other = await s.Store.GetOrCreateSessionAsync(s.UserId, "other-" + Guid.NewGuid());
        var message = NewChatMessage.User("hello");
        await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, message);

        var act = () => s.Store.AppendMessageAsync(s.UserId, other.Id, message);

        await act.Should().ThrowAsync<ChatConflictException>();
        (await s.Store.GetMessagesAsync(s.UserId, other.Id)).Messages.Should().BeEmpty();
    }

    // Under RLS another user's message is invisible, so the database meets the id only when it inserts (the primary key):
    // still a conflict, still nothing written, and nothing of the other user's message comes back.
    [Fact]
    public async Task Same_id_stored_by_another_user_is_a_conflict_and_nothing_is_written()
    {
        var owner = await NewSessionAsync();
        var other = await NewSessionAsync();
        var message = NewChatMessage.User("the owner's words");
        await owner.Store.AppendMessageAsync(owner.UserId, owner.Session.Id, message);

        var act = () => other.Store.AppendMessagesAsync(other.UserId, other.Session.Id, [NewChatMessage.User("innocent"), message with { Content = "other words" }]);

        var conflict = (await act.Should().ThrowAsync<ChatConflictException>()).Which;
        conflict.MessageId.Should().Be(message.Id);
        conflict.Message.Should().NotContain("the owner's words");
        (await other.Store.GetMessagesAsync(other.UserId, other.Session.Id)).Messages.Should().BeEmpty();
        (await other.Store.GetSessionAsync(other.UserId, other.Session.Id))!.MessageCount.Should().Be(0);
    }

    [Fact]
    public async Task Append_to_a_missing_session_is_not_found()
    {
        var user = await NewUserAsync();
        var act = () => user.Store.AppendMessageAsync(user.Id, Guid.NewGuid(), NewChatMessage.User("x"));
        await act.Should().ThrowAsync<ChatNotFoundException>();
    }

    [Fact]
    public async Task Metadata_key_order_does_not_make_a_retry_a_conflict()
    {
        var s = await NewSessionAsync();
        var id = Guid.CreateVersion7();
        await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.User("x", JsonDocument.Parse("""{"a":1,"b":"two"}""").RootElement) with { Id = id });
        var retried = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.User("x", JsonDocument.Parse("""{"b":"two","a":1}""").RootElement) with { Id = id });
        retried.Id.Should().Be(id);
        (await ReadAllAsync(s)).Should().ContainSingle();
    }

    [Fact]
    public async Task Content_may_be_empty_when_metadata_carries_the_payload()
    {
        var s = await NewSessionAsync();
        var toolCalls = JsonDocument.Parse("""{"tool_calls":[{"name":"getWeather","arguments":{"city":"Lisboa"}}]}""").RootElement;
        var stored = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.Assistant(string.Empty, toolCalls));
        stored.Content.Should().BeEmpty();
        JsonElement.DeepEquals(stored.Metadata, toolCalls).Should().BeTrue();
    }
}
