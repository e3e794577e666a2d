using System.Text;
using System.Text.Json;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.ConformanceTests;

/// <summary>
/// Replies stored while they are written (issue 26): begin, grow by offset, finish, stop, read after an offset, the lease,
/// the size limit, isolation and bad input. A store that does not report <see cref="ChatStoreCapabilities.Replies"/> must
/// refuse every reply operation with <see cref="NotSupportedException"/>, and each test checks that instead.
/// </summary>
/// <typeparam name="TFixture">The store's fixture.</typeparam>
public abstract class ReplySuite<TFixture>(TFixture fixture) : ConformanceSuite<TFixture>(fixture)
    where TFixture : ChatStoreFixture
{
    [Fact]
    public async Task A_reply_gets_its_place_when_it_begins_and_grows_into_exactly_the_chunks_written()
    {
        var s = await NewSessionAsync();
        if (!await SupportsRepliesAsync(s))
        {
            return;
        }

        var question = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.User("Pergunta?"));
        var metadata = JsonDocument.Parse("""{"model":"m1"}""").RootElement;
        var begun = await s.Store.BeginReplyAsync(s.UserId, s.Session.Id, new NewChatReply { Metadata = metadata });
        begun.Status.Should().Be(ChatReplyStatus.Streaming);
        begun.Role.Should().Be(ChatMessageRole.Assistant);
        begun.Content.Should().BeEmpty();
        begun.Sequence.Should().BeGreaterThan(question.Sequence);
        begun.LeaseExpiresAt.Should().NotBeNull();

        // Surrogate pairs, U+0000, accents: every chunk well-formed, the whole exactly their concatenation.
        string[] chunks = ["Olá, ", "mundo 🎉", " com\0zero", " e ", "çãõ 𝄞 fim"];
        var written = new StringBuilder();
        foreach (var chunk in chunks)
        {
            var progress = await s.Store.GrowReplyAsync(s.UserId, begun.Id, written.Length, chunk);
            written.Append(chunk);
            progress.Length.Should().Be(written.Length);
            progress.StopRequested.Should().BeFalse();

            // A concurrent reader sees a prefix of the final text, streaming.
            var page = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id);
            page.Messages.Select(m => m.Id).Should().Equal(question.Id, begun.Id);
            page.Messages[1].Status.Should().Be(ChatReplyStatus.Streaming);
            page.Messages[1].Content.Should().Be(written.ToString());
        }

        var finished = await s.Store.FinishReplyAsync(s.UserId, begun.Id, new ChatReplyFinish { Status = ChatReplyStatus.Complete, Offset = written.Length, Text = " ✓" });
        written.Append(" ✓");
        finished.Status.Should().Be(ChatReplyStatus.Complete);
        finished.Reason.Should().Be(ChatReplyReason.None);
        finished.LeaseExpiresAt.Should().BeNull();
        finished.Content.Should().Be(written.ToString());
        finished.Metadata.GetProperty("model").GetString().Should().Be("m1");
        var history = await ReadAllAsync(s);
        history.Should().HaveCount(2);
        history[1].Content.Should().Be(written.ToString());
        history[1].Status.Should().Be(ChatReplyStatus.Complete);
        (await s.Store.GetSessionAsync(s.UserId, s.Session.Id))!.MessageCount.Should().Be(2);
    }

    [Fact]
    public async Task An_export_keeps_reply_statuses_and_its_import_never_brings_an_unfinished_reply_back_complete()
    {
        var s = await NewSessionAsync();
        if (!await SupportsRepliesAsync(s))
        {
            return;
        }

        var question = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.User("Conte uma história."));
        var stopped = await s.Store.BeginReplyAsync(s.UserId, s.Session.Id, new NewChatReply());
        await s.Store.FinishReplyAsync(s.UserId, stopped.Id, new ChatReplyFinish { Status = ChatReplyStatus.Stopped, Reason = ChatReplyReason.CallerStopped, Text = "Era uma vez" });
        var failed = await s.Store.BeginReplyAsync(s.UserId, s.Session.Id, new NewChatReply { Metadata = JsonDocument.Parse("""{"model":"m1"}""").RootElement });
        await s.Store.FinishReplyAsync(s.UserId, failed.Id, new ChatReplyFinish { Status = ChatReplyStatus.Interrupted, Reason = ChatReplyReason.Failed, ReasonDetail = "HttpRequestException: 503", Text = "Um dragão 🐉" });
        var streaming = await s.Store.BeginReplyAsync(s.UserId, s.Session.Id, new NewChatReply());
        await s.Store.GrowReplyAsync(s.UserId, streaming.Id, 0, "Ainda a escrever");
        var after = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.User("E depois?"));

        using var file = new MemoryStream();
        await Export.ChatExporter.ExportAsync(s.Store, s.UserId, s.Session.Id, Export.ChatExportFormat.Json, file);
        var text = Encoding.UTF8.GetString(file.ToArray());
        text.Should().Contain("\"status\": \"streaming\"").And.Contain("\"status\": \"stopped\"").And.Contain("\"reason\": \"failed\"");

        // Imported into the same store under new ids (ids are unique in a store), into another workflow, twice.
        Guid[] ids = [question.Id, stopped.Id, failed.Id, streaming.Id, after.Id];
        var fresh = ids.Select(_ => Guid.NewGuid()).ToArray();
        for (var i = 0; i < ids.Length; i++)
        {
            text = text.Replace(ids[i].ToString(), fresh[i].ToString(), StringComparison.Ordinal);
        }

        var workflow = "wf-imported-" + Guid.NewGuid().ToString("N");
        var imported = await Export.ChatImporter.ImportAsync(s.Store, s.UserId, new MemoryStream(Encoding.UTF8.GetBytes(text)), workflow);
        await Export.ChatImporter.ImportAsync(s.Store, s.UserId, new MemoryStream(Encoding.UTF8.GetBytes(text)), workflow);

        var messages = (await s.Store.GetMessagesAsync(s.UserId, imported.Id)).Messages;
        messages.Select(m => (m.Id, m.Content, m.Status, m.Reason, m.ReasonDetail)).Should().Equal(
            (fresh[0], "Conte uma história.", ChatReplyStatus.Complete, ChatReplyReason.None, (string?)null),
            (fresh[1], "Era uma vez", ChatReplyStatus.Stopped, ChatReplyReason.CallerStopped, null),
            (fresh[2], "Um dragão 🐉", ChatReplyStatus.Interrupted, ChatReplyReason.Failed, "HttpRequestException: 503"),
            (fresh[3], "Ainda a escrever", ChatReplyStatus.Interrupted, ChatReplyReason.LeaseExpired, null),
            (fresh[4], "E depois?", ChatReplyStatus.Complete, ChatReplyReason.None, null));
        messages[2].Metadata.GetProperty("model").GetString().Should().Be("m1");
        (await s.Store.GetSessionAsync(s.UserId, imported.Id))!.MessageCount.Should().Be(5, "importing twice adds nothing");
    }

    [Fact]
    public async Task A_replys_metadata_round_trips_exactly_with_U0000_and_the_stores_escape_characters()
    {
        var s = await NewSessionAsync();
        if (!await SupportsRepliesAsync(s))
        {
            return;
        }

        // The characters PostgreSQL cannot hold (U+0000) next to the noncharacters the stores escape it with: what is read
        // back must be what was given, at begin and at finish, in every store (not only the ones that escape on the wire).
        var atBegin = JsonDocument.Parse("""{"model":"m\u0000\ufdd0","k\u0000ey":"\ufdd1\u0000\ufdd0\ufdd0"}""").RootElement;
        var atFinish = JsonDocument.Parse("""{"usage":{"note":"\ufdd0\ufdd1 \u0000"},"list":["\ufdd1","\u0000\ufdd0"]}""").RootElement;
        await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.User("?"));
        var begun = await s.Store.BeginReplyAsync(s.UserId, s.Session.Id, new NewChatReply { Metadata = atBegin });
        JsonElement.DeepEquals(begun.Metadata, atBegin).Should().BeTrue(begun.Metadata.GetRawText());
        var streaming = (await ReadAllAsync(s))[1];
        JsonElement.DeepEquals(streaming.Metadata, atBegin).Should().BeTrue(streaming.Metadata.GetRawText());

        var finished = await s.Store.FinishReplyAsync(s.UserId, begun.Id, new ChatReplyFinish { Status = ChatReplyStatus.Complete, Text = "ok", Metadata = atFinish });
        foreach (var read in new[] { finished, (await ReadAllAsync(s))[1] })
        {
            JsonElement.DeepEquals(read.Metadata, atFinish).Should().BeTrue(read.Metadata.GetRawText());
            read.Metadata.GetProperty("list")[1].GetString().Should().Be("\0\uFDD0");
        }
    }

    [Fact]
    public async Task A_retried_flush_is_stored_once_and_a_gap_or_other_text_is_a_conflict()
    {
        var s = await NewSessionAsync();
        if (!await SupportsRepliesAsync(s))
        {
            return;
        }

        var reply = await s.Store.BeginReplyAsync(s.UserId, s.Session.Id, new NewChatReply());
        await s.Store.GrowReplyAsync(s.UserId, reply.Id, 0, "abc");
        (await s.Store.GrowReplyAsync(s.UserId, reply.Id, 0, "abc")).Length.Should().Be(3, "the same text at the same offset is a retry");
        await s.Store.GrowReplyAsync(s.UserId, reply.Id, 3, "def");
        (await s.Store.GrowReplyAsync(s.UserId, reply.Id, 3, "def")).Length.Should().Be(6);
        (await s.Store.GrowReplyAsync(s.UserId, reply.Id, 1, "bc")).Length.Should().Be(6, "a retry of part of the stored text");

        await FluentActions.Awaiting(() => s.Store.GrowReplyAsync(s.UserId, reply.Id, 8, "gap")).Should().ThrowAsync<ChatConflictException>();
        await FluentActions.Awaiting(() => s.Store.GrowReplyAsync(s.UserId, reply.Id, 3, "XYZ")).Should().ThrowAsync<ChatConflictException>();
        await FluentActions.Awaiting(() => s.Store.GrowReplyAsync(s.UserId, reply.Id, 4, "efgh")).Should().ThrowAsync<ChatConflictException>();
        (await s.Store.ReadReplyAsync(s.UserId, reply.Id)).Text.Should().Be("abcdef", "nothing of a refused flush is written");

        // Empty text is a heartbeat at any offset: nothing stored.
        (await s.Store.GrowReplyAsync(s.UserId, reply.Id, 0, "")).Length.Should().Be(6);
        (await s.Store.BeginReplyAsync(s.UserId, s.Session.Id, new NewChatReply { Id = reply.Id })).Content.Should().Be("abcdef", "a retried begin returns the reply as it is");
    }

    [Fact]
    public async Task Finishing_twice_is_idempotent_and_growing_an_ended_reply_is_a_typed_error()
    {
        var s = await NewSessionAsync();
        if (!await SupportsRepliesAsync(s))
        {
            return;
        }

        var reply = await s.Store.BeginReplyAsync(s.UserId, s.Session.Id, new NewChatReply());
        await s.Store.GrowReplyAsync(s.UserId, reply.Id, 0, "partial");
        var stopped = await s.Store.FinishReplyAsync(s.UserId, reply.Id, new ChatReplyFinish { Status = ChatReplyStatus.Stopped, Reason = ChatReplyReason.CallerStopped, ReasonDetail = "the user pressed Stop" });
        stopped.Status.Should().Be(ChatReplyStatus.Stopped);
        stopped.Reason.Should().Be(ChatReplyReason.CallerStopped);
        stopped.ReasonDetail.Should().Be("the user pressed Stop");
        stopped.Content.Should().Be("partial");

        var again = await s.Store.FinishReplyAsync(s.UserId, reply.Id, new ChatReplyFinish { Status = ChatReplyStatus.Complete, Offset = 7, Text = " more" });
        again.Status.Should().Be(ChatReplyStatus.Stopped, "the first end wins");
        again.Content.Should().Be("partial");

        var grow = await FluentActions.Awaiting(() => s.Store.GrowReplyAsync(s.UserId, reply.Id, 7, " more")).Should().ThrowAsync<ChatReplyEndedException>();
        grow.Which.Status.Should().Be(ChatReplyStatus.Stopped);
        grow.Which.Length.Should().Be(7);
        grow.Which.MessageId.Should().Be(reply.Id);

        // An ordinary message was never a reply in progress.
        var plain = await s.Store.AppendMessageAsync(s.UserId, s.Session.Id, NewChatMessage.Assistant("done"));
        (await FluentActions.Awaiting(() => s.Store.GrowReplyAsync(s.UserId, plain.Id, 4, "!")).Should().ThrowAsync<ChatReplyEndedException>())
            .Which.Status.Should().Be(ChatReplyStatus.Complete);
        (await s.Store.StopReplyAsync(s.UserId, plain.Id)).Status.Should().Be(ChatReplyStatus.Complete, "stopping an ended reply returns it");
    }

    [Fact]
    public async Task Stop_from_anywhere_reaches_the_writer_and_the_reply_keeps_its_text()
    {
        var s = await NewSessionAsync();
        if (!await SupportsRepliesAsync(s))
        {
            return;
        }

        var reply = await s.Store.BeginReplyAsync(s.UserId, s.Session.Id, new NewChatReply());
        await s.Store.GrowReplyAsync(s.UserId, reply.Id, 0, "so far");
        var requested = await s.Store.StopReplyAsync(s.UserId, reply.Id);
        requested.Status.Should().Be(ChatReplyStatus.Streaming, "the writer ends it");
        requested.Reason.Should().Be(ChatReplyReason.StopRequested);

        var progress = await s.Store.GrowReplyAsync(s.UserId, reply.Id, 6, ",");
        progress.StopRequested.Should().BeTrue();
        var ended = await s.Store.FinishReplyAsync(s.UserId, reply.Id, new ChatReplyFinish { Status = ChatReplyStatus.Stopped, Reason = ChatReplyReason.StopRequested });
        ended.Status.Should().Be(ChatReplyStatus.Stopped);
        ended.Content.Should().Be("so far,");
    }

    [Fact]
    public async Task A_reply_whose_writer_vanished_reads_as_interrupted_once_its_lease_expires()
    {
        var s = await NewSessionAsync();
        if (!await SupportsRepliesAsync(s))
        {
            return;
        }

        var reply = await s.Store.BeginReplyAsync(s.UserId, s.Session.Id, new NewChatReply { Lease = ChatPersistenceLimits.MinReplyLease });
        await s.Store.GrowReplyAsync(s.UserId, reply.Id, 0, "half an answer");
        var stopped = await s.Store.BeginReplyAsync(s.UserId, s.Session.Id, new NewChatReply { Lease = ChatPersistenceLimits.MinReplyLease });
        await s.Store.StopReplyAsync(s.UserId, stopped.Id);

        // Waits for the store's clock to pass the lease (a mechanism, not a timing: nothing is measured).
        var read = await s.Store.ReadReplyAsync(s.UserId, reply.Id);
        read.LeaseExpiresAt.Should().NotBeNull();
        var wait = read.LeaseExpiresAt!.Value - DateTimeOffset.UtcNow + TimeSpan.FromSeconds(1);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait);
        }

        var page = await s.Store.GetMessagesAsync(s.UserId, s.Session.Id);
        page.Messages[0].Status.Should().Be(ChatReplyStatus.Interrupted);
        page.Messages[0].Reason.Should().Be(ChatReplyReason.LeaseExpired);
        page.Messages[0].Content.Should().Be("half an answer");
        page.Messages[1].Status.Should().Be(ChatReplyStatus.Stopped, "a stop was requested and the writer never ended it");
        (await FluentActions.Awaiting(() => s.Store.GrowReplyAsync(s.UserId, reply.Id, 14, " late")).Should().ThrowAsync<ChatReplyEndedException>())
            .Which.Reason.Should().Be(ChatReplyReason.LeaseExpired);
        (await s.Store.FinishReplyAsync(s.UserId, reply.Id, new ChatReplyFinish { Status = ChatReplyStatus.Complete })).Status
            .Should().Be(ChatReplyStatus.Interrupted, "once read as interrupted it stays interrupted");
    }

    [Fact]
    public async Task A_reply_over_the_size_limit_ends_as_interrupted_with_the_text_that_fitted()
    {
        var s = await NewSessionAsync();
        if (!await SupportsRepliesAsync(s))
        {
            return;
        }

        var store = s.Store;
        var fits = Fixture.Options.MaxContentBytes - 100;
        var reply = await store.BeginReplyAsync(s.UserId, s.Session.Id, new NewChatReply());
        await store.GrowReplyAsync(s.UserId, reply.Id, 0, new string('a', fits));
        var over = await FluentActions.Awaiting(() => store.GrowReplyAsync(s.UserId, reply.Id, fits, new string('b', 200))).Should().ThrowAsync<ChatReplyEndedException>();
        over.Which.Reason.Should().Be(ChatReplyReason.TooLarge);
        over.Which.Length.Should().Be(fits);
        var stored = (await store.GetMessagesAsync(s.UserId, s.Session.Id)).Messages.Single();
        stored.Status.Should().Be(ChatReplyStatus.Interrupted);
        stored.Reason.Should().Be(ChatReplyReason.TooLarge);
        stored.Content.Should().Be(new string('a', fits), "the row never holds more than the limit");
    }

    [Fact]
    public async Task A_one_megabyte_reply_is_stored_exactly_and_read_after_any_offset()
    {
        var s = await NewSessionAsync();
        if (!await SupportsRepliesAsync(s))
        {
            return;
        }

        var reply = await s.Store.BeginReplyAsync(s.UserId, s.Session.Id, new NewChatReply());
        var text = string.Concat(Enumerable.Range(0, 1024 * 1024 / 8).Select(i => (i % 7) switch { 0 => "ação 🎉", _ => "abcdefgh" }));
        text = text[..(Fixture.Options.MaxContentBytes / 2)];
        if (char.IsHighSurrogate(text[^1]))
        {
            text = text[..^1];
        }

        var offset = 0;
        while (offset < text.Length)
        {
            var length = Math.Min(64 * 1024, text.Length - offset);
            if (char.IsHighSurrogate(text[offset + length - 1]))
            {
                length--;
            }

            await s.Store.GrowReplyAsync(s.UserId, reply.Id, offset, text.Substring(offset, length));
            offset += length;
        }

        var mid = await s.Store.ReadReplyAsync(s.UserId, reply.Id, 100_000);
        mid.Text.Should().Be(text[(int)mid.Offset..]);
        mid.Length.Should().Be(text.Length);
        (await s.Store.ReadReplyAsync(s.UserId, reply.Id, text.Length + 5)).Text.Should().BeEmpty();
        (await s.Store.FinishReplyAsync(s.UserId, reply.Id, new ChatReplyFinish { Status = ChatReplyStatus.Complete })).Content.Should().Be(text);
        (await s.Store.ReadReplyAsync(s.UserId, reply.Id, 3)).Text.Should().Be(text[3..]);
    }

    [Fact]
    public async Task One_user_cannot_begin_grow_stop_finish_or_read_another_users_reply()
    {
        var s = await NewSessionAsync();
        if (!await SupportsRepliesAsync(s))
        {
            return;
        }

        var reply = await s.Store.BeginReplyAsync(s.UserId, s.Session.Id, new NewChatReply());
        await s.Store.GrowReplyAsync(s.UserId, reply.Id, 0, "mine");
        var other = await NewUserAsync();
        await FluentActions.Awaiting(() => other.Store.BeginReplyAsync(other.Id, s.Session.Id, new NewChatReply())).Should().ThrowAsync<ChatNotFoundException>();
        await FluentActions.Awaiting(() => other.Store.GrowReplyAsync(other.Id, reply.Id, 4, " theirs")).Should().ThrowAsync<ChatNotFoundException>();
        await FluentActions.Awaiting(() => other.Store.StopReplyAsync(other.Id, reply.Id)).Should().ThrowAsync<ChatNotFoundException>();
        await FluentActions.Awaiting(() => other.Store.FinishReplyAsync(other.Id, reply.Id, new ChatReplyFinish { Status = ChatReplyStatus.Complete })).Should().ThrowAsync<ChatNotFoundException>();
        await FluentActions.Awaiting(() => other.Store.ReadReplyAsync(other.Id, reply.Id)).Should().ThrowAsync<ChatNotFoundException>();
        var mine = await s.Store.ReadReplyAsync(s.UserId, reply.Id);
        mine.Text.Should().Be("mine");
        mine.Status.Should().Be(ChatReplyStatus.Streaming);
    }

    [Fact]
    public async Task Clearing_the_chat_ends_a_live_reply_and_retention_keeps_a_session_whose_reply_is_live()
    {
        var s = await NewSessionAsync();
        if (!await SupportsRepliesAsync(s))
        {
            return;
        }

        var reply = await s.Store.BeginReplyAsync(s.UserId, s.Session.Id, new NewChatReply());
        await s.Store.GrowReplyAsync(s.UserId, reply.Id, 0, "streaming");
        var cutoff = (await s.Store.GetSessionAsync(s.UserId, s.Session.Id))!.UpdatedAt.AddSeconds(1);
        (await Fixture.AdminStore.DeleteIdleSessionsAsync(cutoff)).Should().BeGreaterThanOrEqualTo(0);
        (await s.Store.GetSessionAsync(s.UserId, s.Session.Id)).Should().NotBeNull("retention never deletes a session with a live reply");

        await s.Store.ClearSessionAsync(s.UserId, s.Session.Id);
        await FluentActions.Awaiting(() => s.Store.GrowReplyAsync(s.UserId, reply.Id, 9, " more")).Should().ThrowAsync<ChatNotFoundException>();
        (await s.Store.GetMessagesAsync(s.UserId, s.Session.Id)).Messages.Should().BeEmpty();
    }

    [Fact]
    public async Task Bad_reply_input_is_an_argument_error_and_writes_nothing()
    {
        var s = await NewSessionAsync();
        if (!await SupportsRepliesAsync(s))
        {
            return;
        }

        var store = s.Store;
        await FluentActions.Awaiting(() => store.BeginReplyAsync(s.UserId, s.Session.Id, new NewChatReply { Id = Guid.Empty })).Should().ThrowAsync<ArgumentException>();
        await FluentActions.Awaiting(() => store.BeginReplyAsync(s.UserId, s.Session.Id, new NewChatReply { Lease = TimeSpan.FromSeconds(1) })).Should().ThrowAsync<ArgumentException>();
        await FluentActions.Awaiting(() => store.BeginReplyAsync(s.UserId, s.Session.Id, new NewChatReply { Metadata = JsonDocument.Parse("[1]").RootElement })).Should().ThrowAsync<ArgumentException>();
        (await store.GetMessagesAsync(s.UserId, s.Session.Id)).Messages.Should().BeEmpty();

        var reply = await store.BeginReplyAsync(s.UserId, s.Session.Id, new NewChatReply());
        await FluentActions.Awaiting(() => store.GrowReplyAsync(s.UserId, reply.Id, -1, "x")).Should().ThrowAsync<ArgumentException>();
        await FluentActions.Awaiting(() => store.GrowReplyAsync(s.UserId, reply.Id, 0, null!)).Should().ThrowAsync<ArgumentException>();
        await FluentActions.Awaiting(() => store.GrowReplyAsync(s.UserId, reply.Id, 0, "half \uD83C")).Should().ThrowAsync<ArgumentException>();
        await FluentActions.Awaiting(() => store.GrowReplyAsync(s.UserId, Guid.NewGuid(), 0, "x")).Should().ThrowAsync<ChatNotFoundException>();
        await FluentActions.Awaiting(() => store.FinishReplyAsync(s.UserId, reply.Id, new ChatReplyFinish { Status = ChatReplyStatus.Streaming })).Should().ThrowAsync<ArgumentException>();
        await FluentActions.Awaiting(() => store.FinishReplyAsync(s.UserId, reply.Id, new ChatReplyFinish { Status = ChatReplyStatus.Complete, Reason = ChatReplyReason.Failed })).Should().ThrowAsync<ArgumentException>();
        await FluentActions.Awaiting(() => store.FinishReplyAsync(s.UserId, reply.Id, new ChatReplyFinish { Status = ChatReplyStatus.Interrupted })).Should().ThrowAsync<ArgumentException>();
        await FluentActions.Awaiting(() => store.FinishReplyAsync(s.UserId, reply.Id, new ChatReplyFinish { Status = ChatReplyStatus.Interrupted, Reason = ChatReplyReason.Failed, ReasonDetail = new string('x', 501) })).Should().ThrowAsync<ArgumentException>();
        await FluentActions.Awaiting(() => store.ReadReplyAsync(s.UserId, reply.Id, -1)).Should().ThrowAsync<ArgumentOutOfRangeException>();
        var unchanged = await store.ReadReplyAsync(s.UserId, reply.Id);
        unchanged.Status.Should().Be(ChatReplyStatus.Streaming);
        unchanged.Length.Should().Be(0);
    }

    /// <summary>
    /// Whether the store keeps replies in progress. A store that does not must say so in <see cref="IChatSessionStore.Capabilities"/>
    /// and refuse every reply operation with <see cref="NotSupportedException"/> (checked here), storing nothing.
    /// </summary>
    /// <param name="s">A session of the store.</param>
    /// <returns>Whether the reply tests apply.</returns>
    protected static async Task<bool> SupportsRepliesAsync(TestSession s)
    {
        if (s.Store.Capabilities.Replies)
        {
            return true;
        }

        await FluentActions.Awaiting(() => s.Store.BeginReplyAsync(s.UserId, s.Session.Id, new NewChatReply())).Should().ThrowAsync<NotSupportedException>();
        await FluentActions.Awaiting(() => s.Store.GrowReplyAsync(s.UserId, Guid.NewGuid(), 0, "x")).Should().ThrowAsync<NotSupportedException>();
        await FluentActions.Awaiting(() => s.Store.FinishReplyAsync(s.UserId, Guid.NewGuid(), new ChatReplyFinish { Status = ChatReplyStatus.Complete })).Should().ThrowAsync<NotSupportedException>();
        await FluentActions.Awaiting(() => s.Store.StopReplyAsync(s.UserId, Guid.NewGuid())).Should().ThrowAsync<NotSupportedException>();
        await FluentActions.Awaiting(() => s.Store.ReadReplyAsync(s.UserId, Guid.NewGuid())).Should().ThrowAsync<NotSupportedException>();
        (await s.Store.GetMessagesAsync(s.UserId, s.Session.Id)).Messages.Should().BeEmpty();
        return false;
    }
}
