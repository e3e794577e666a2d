using System.Text;
using System.Text.Json;
using ChatPersistence.Sdk.Export;
using FluentAssertions;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace ChatPersistence.Sdk.Tests.Export;

[Collection(ExportMemoryTests.Name)]
public sealed class ExportTests
{
    private readonly InMemoryChatSessionStore _store = new();

    [Fact]
    public async Task Json_export_round_trips_into_another_store_and_importing_twice_adds_nothing()
    {
        var (sessionId, stored) = await SeedAsync();
        using var buffer = new MemoryStream();
        (await _store.ExportAsync("ana", sessionId, ChatExportFormat.Json, buffer)).Should().Be(3);

        using var json = JsonDocument.Parse(buffer.ToArray());
        json.RootElement.GetProperty("format").GetString().Should().Be("chatpersistence.export");
        json.RootElement.GetProperty("version").GetInt32().Should().Be(1);

        var target = new InMemoryChatSessionStore();
        buffer.Position = 0;
        var imported = await target.ImportAsync("bia", buffer);
        buffer.Position = 0;
        var again = await target.ImportAsync("bia", buffer);

        again.Id.Should().Be(imported.Id);
        imported.WorkflowId.Should().Be("relatórios");
        imported.Title.Should().Be("Persistência de Chat por Workflow");
        var messages = (await target.GetMessagesAsync("bia", imported.Id)).Messages;
        messages.Select(m => (m.Id, m.Role, m.Content, m.CreatedAt, m.IsFavorite))
            .Should().Equal(stored.Select(m => (m.Id, m.Role, m.Content, m.CreatedAt, m.Id == stored[1].Id)));
        JsonElement.DeepEquals(messages[1].Metadata, stored[1].Metadata).Should().BeTrue();
    }

    [Fact]
    public async Task Text_and_markdown_show_the_header_roles_times_in_the_chosen_zone_and_favourites()
    {
        var (sessionId, _) = await SeedAsync();
        var options = new ChatExportOptions
        {
            TimeZone = TimeZoneInfo.CreateCustomTimeZone("BRT", TimeSpan.FromHours(-3), "BRT", "BRT"),
            TimeProvider = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero)),
            IncludeMetadata = true,
        };

        var text = await ExportToStringAsync(sessionId, ChatExportFormat.Text, options);
        var markdown = await ExportToStringAsync(sessionId, ChatExportFormat.Markdown, options);

        text.Should().Contain("Persistência de Chat por Workflow").And.Contain("Workflow: relatórios").And.Contain("User:     ana")
            .And.Contain("Exported: 2026-11-24 09:00:00 -03:00")
            .And.Contain("[2026-01-02 00:04:05 -03:00] User:\n  Olá! Preciso de informação sobre a ação\n")
            .And.Contain("Assistant ★:").And.Contain("metadata: {\"model\":\"offline\"}");
        markdown.Should().Contain("# Persistência de Chat por Workflow").And.Contain("### Assistant ★ · 2026-01-02 00:04:06 -03:00")
            .And.Contain("````text\nUse ```code``` <script>alert(1)</script>\n````", "a fence longer than any backtick run keeps the text verbatim");
    }

    [Fact]
    public async Task Text_and_markdown_mark_replies_that_are_not_complete_after_their_text()
    {
        var (sessionId, _) = await SeedRepliesAsync();

        var text = await ExportToStringAsync(sessionId, ChatExportFormat.Text, new ChatExportOptions());
        var markdown = await ExportToStringAsync(sessionId, ChatExportFormat.Markdown, new ChatExportOptions());

        text.Should().Contain("  Era uma vez\n  [stopped]\n")
            .And.Contain("  Um dragão\n  [interrupted: the model failed — HttpRequestException: 503 (Service Unavailable) * _x_]\n")
            .And.Contain("  Ainda a escrever\n  [still being written]\n")
            .And.Contain("  Pronto.\n\n", "a complete reply has no marker");
        text.Split('[').Length.Should().Be(1 + 3 + 5, "three markers and the five message time stamps");
        markdown.Should().Contain("```text\nEra uma vez\n```\n\n_\\[stopped\\]_\n")
            .And.Contain("```text\nUm dragão\n```\n\n_\\[interrupted: the model failed — HttpRequestException: 503 \\(Service Unavailable\\) \\* \\_x\\_\\]_\n", "the detail is escaped, never markup")
            .And.Contain("```text\nAinda a escrever\n```\n\n_\\[still being written\\]_\n");
    }

    [Fact]
    public async Task Json_writes_status_and_reason_and_import_keeps_them_on_a_store_with_replies()
    {
        var (sessionId, replies) = await SeedRepliesAsync();
        using var buffer = new MemoryStream();
        await _store.ExportAsync("ana", sessionId, ChatExportFormat.Json, buffer);

        using (var json = JsonDocument.Parse(buffer.ToArray()))
        {
            json.RootElement.GetProperty("version").GetInt32().Should().Be(1, "the fields are additive");
            var items = json.RootElement.GetProperty("messages").EnumerateArray().ToList();
            items.Select(m => (m.GetProperty("status").GetString(), m.GetProperty("reason").GetString(), m.TryGetProperty("reasonDetail", out var d) ? d.GetString() : null))
                .Should().Equal(
                    ("complete", "none", null),
                    ("stopped", "caller_stopped", null),
                    ("interrupted", "failed", "HttpRequestException: 503 (Service Unavailable)\n* _x_"),
                    ("streaming", "none", null),
                    ("complete", "none", null));
        }

        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero));
        var target = new InMemoryChatSessionStore(null, clock);
        buffer.Position = 0;
        var imported = await target.ImportAsync("bia", buffer);
        buffer.Position = 0;
        await target.ImportAsync("bia", buffer);

        var messages = (await target.GetMessagesAsync("bia", imported.Id)).Messages;
        messages.Select(m => (m.Id, m.Content, m.Status, m.Reason, m.ReasonDetail)).Should().Equal(
            (replies[0].Id, "Conte uma história.", ChatReplyStatus.Complete, ChatReplyReason.None, (string?)null),
            (replies[1].Id, "Era uma vez", ChatReplyStatus.Stopped, ChatReplyReason.CallerStopped, null),
            (replies[2].Id, "Um dragão", ChatReplyStatus.Interrupted, ChatReplyReason.Failed, "HttpRequestException: 503 (Service Unavailable)\n* _x_"),
            (replies[3].Id, "Ainda a escrever", ChatReplyStatus.Interrupted, ChatReplyReason.LeaseExpired, null),
            (replies[4].Id, "Pronto.", ChatReplyStatus.Complete, ChatReplyReason.None, null));
        JsonElement.DeepEquals(messages[2].Metadata, replies[2].Metadata).Should().BeTrue("the metadata comes with the end");
        messages[2].IsFavorite.Should().BeTrue();
        messages[0].CreatedAt.Should().Be(replies[0].CreatedAt);
        messages[1].CreatedAt.Should().Be(clock.GetUtcNow(), "a begun reply takes the store's clock");
        (await target.GetSessionAsync("bia", imported.Id))!.MessageCount.Should().Be(5, "importing twice adds nothing");
    }

    [Fact]
    public async Task Import_into_a_store_without_replies_keeps_the_text_as_complete_messages()
    {
        var (sessionId, replies) = await SeedRepliesAsync();
        using var buffer = new MemoryStream();
        await _store.ExportAsync("ana", sessionId, ChatExportFormat.Json, buffer);

        var target = new NoRepliesStore(new InMemoryChatSessionStore());
        buffer.Position = 0;
        var imported = await target.ImportAsync("bia", buffer);

        var messages = (await target.GetMessagesAsync("bia", imported.Id)).Messages;
        messages.Select(m => (m.Id, m.Content, m.Status)).Should().Equal(replies.Select(r => (r.Id, r.Content, ChatReplyStatus.Complete)));
    }

    [Fact]
    public async Task A_reply_exported_while_streaming_with_a_stop_requested_imports_as_stopped()
    {
        var id = Guid.NewGuid();
        var file = $$"""
            {"format": "chatpersistence.export", "version": 1, "session": {"workflowId": "w"},
             "messages": [{"id": "{{id}}", "role": "assistant", "content": "half", "metadata": {}, "createdAt": "2026-01-01T00:00:00Z",
                           "status": "streaming", "reason": "stop_requested", "someFutureField": [1, 2]}]}
            """;

        var target = new InMemoryChatSessionStore();
        var session = await target.ImportAsync("bia", new MemoryStream(Encoding.UTF8.GetBytes(file)));

        var message = (await target.GetMessagesAsync("bia", session.Id)).Messages.Should().ContainSingle().Subject;
        (message.Id, message.Content, message.Status, message.Reason).Should().Be((id, "half", ChatReplyStatus.Stopped, ChatReplyReason.StopRequested));
    }

    [Theory]
    [InlineData("\"status\": \"paused\"", "unknown status")]
    [InlineData("\"status\": \"stopped\", \"reason\": \"bored\"", "unknown reason")]
    [InlineData("\"status\": \"interrupted\", \"reason\": \"none\"", "without a reason")]
    public async Task Import_refuses_an_unknown_status_or_a_missing_reason(string fields, string error)
    {
        var file = $$"""
            {"format": "chatpersistence.export", "version": 1, "session": {"workflowId": "w"},
             "messages": [{"id": "{{Guid.NewGuid()}}", "role": "assistant", "content": "x", "metadata": {}, "createdAt": "2026-01-01T00:00:00Z", {{fields}}}]}
            """;

        var target = new InMemoryChatSessionStore();
        var act = () => target.ImportAsync("bia", new MemoryStream(Encoding.UTF8.GetBytes(file)));

        (await act.Should().ThrowAsync<FormatException>()).WithMessage($"*{error}*");
    }

    [Fact]
    public async Task Exporting_a_missing_session_is_not_found()
    {
        var act = () => _store.ExportAsync("ana", Guid.NewGuid(), ChatExportFormat.Text, new MemoryStream());
        await act.Should().ThrowAsync<ChatNotFoundException>();
    }

    [Fact]
    public async Task A_ten_thousand_message_export_streams_in_bounded_memory()
    {
        var session = await _store.GetOrCreateSessionAsync("big", "w");
        var text = new string('x', 1000);
        for (var i = 0; i < 100; i++)
        {
            await _store.AppendMessagesAsync("big", session.Id, Enumerable.Range(0, 100).Select(_ => NewChatMessage.User(text)).ToArray());
        }

        // Written to a sink that keeps nothing: what stays live is at most one page, not the 10k-message history.
        GC.Collect();
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var sink = new CountingStream();
        var count = await _store.ExportAsync("big", session.Id, ChatExportFormat.Json, sink);
        var after = GC.GetTotalMemory(forceFullCollection: false);

        count.Should().Be(10_000);
        sink.Length.Should().BeGreaterThan(10_000L * 1000);
        (after - before).Should().BeLessThan(8 * 1024 * 1024, "the exporter holds one page at a time, not ~10 MB of history");
    }

    private async Task<(Guid SessionId, IReadOnlyList<StoredChatMessage> Stored)> SeedAsync()
    {
        var session = await _store.GetOrCreateSessionAsync("ana", "relatórios", "Persistência de Chat por Workflow");
        var at = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);
        var stored = await _store.AppendMessagesAsync("ana", session.Id,
        [
            NewChatMessage.User("Olá! Preciso de informação sobre a ação") with { CreatedAt = at },
            NewChatMessage.Assistant("Claro 😀", JsonDocument.Parse("""{"model":"offline"}""").RootElement) with { CreatedAt = at.AddSeconds(1) },
            NewChatMessage.User("Use ```code``` <script>alert(1)</script>") with { CreatedAt = at.AddSeconds(2) },
        ]);
        await _store.SetFavoriteAsync("ana", stored[1].Id, true);
        return (session.Id, stored);
    }

    // A question, a stopped reply, a failed one (favourite, with metadata), one still streaming, and a complete one.
    private async Task<(Guid SessionId, IReadOnlyList<StoredChatMessage> Stored)> SeedRepliesAsync()
    {
        var session = await _store.GetOrCreateSessionAsync("ana", "histórias");
        var question = (await _store.AppendMessagesAsync("ana", session.Id, [NewChatMessage.User("Conte uma história.")]))[0];
        var stopped = await _store.BeginReplyAsync("ana", session.Id, new NewChatReply());
        await _store.FinishReplyAsync("ana", stopped.Id, new ChatReplyFinish { Status = ChatReplyStatus.Stopped, Reason = ChatReplyReason.CallerStopped, Text = "Era uma vez" });
        var failed = await _store.BeginReplyAsync("ana", session.Id, new NewChatReply { Metadata = JsonDocument.Parse("""{"model":"m1"}""").RootElement });
        await _store.FinishReplyAsync("ana", failed.Id, new ChatReplyFinish { Status = ChatReplyStatus.Interrupted, Reason = ChatReplyReason.Failed, ReasonDetail = "HttpRequestException: 503 (Service Unavailable)\n* _x_", Text = "Um dragão" });
        await _store.SetFavoriteAsync("ana", failed.Id, true);
        var streaming = await _store.BeginReplyAsync("ana", session.Id, new NewChatReply());
        await _store.GrowReplyAsync("ana", streaming.Id, 0, "Ainda a escrever");
        var complete = await _store.BeginReplyAsync("ana", session.Id, new NewChatReply());
        await _store.FinishReplyAsync("ana", complete.Id, new ChatReplyFinish { Status = ChatReplyStatus.Complete, Text = "Pronto." });
        return (session.Id, (await _store.GetMessagesAsync("ana", session.Id)).Messages);
    }

    private async Task<string> ExportToStringAsync(Guid sessionId, ChatExportFormat format, ChatExportOptions options)
    {
        using var buffer = new MemoryStream();
        await _store.ExportAsync("ana", sessionId, format, buffer, options);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private sealed class NoRepliesStore(IChatSessionStore inner) : DelegatingChatSessionStore(inner)
    {
        public override ChatStoreCapabilities Capabilities => ChatStoreCapabilities.None;
    }

    private sealed class CountingStream : Stream
    {
        private long _length;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _length;

        public override long Position { get => _length; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => _length += count;
    }
}
