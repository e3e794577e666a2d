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

    private async Task<string> ExportToStringAsync(Guid sessionId, ChatExportFormat format, ChatExportOptions options)
    {
        using var buffer = new MemoryStream();
        await _store.ExportAsync("ana", sessionId, format, buffer, options);
        return Encoding.UTF8.GetString(buffer.ToArray());
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
