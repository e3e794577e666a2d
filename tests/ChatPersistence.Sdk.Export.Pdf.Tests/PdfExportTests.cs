using System.Diagnostics;
using System.Text.Json;
using ChatPersistence.Sdk.Export;
using ChatPersistence.Sdk.Sqlite;
using FluentAssertions;
using Microsoft.Data.Sqlite;
using UglyToad.PdfPig;
using Xunit;

namespace ChatPersistence.Sdk.Export.Pdf.Tests;

/// <summary>PDF export read back with PdfPig (text, fonts, pages) over the in-memory store and a real SQLite file.</summary>
public abstract class PdfExportTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "chatpersistence-pdf-" + Guid.NewGuid().ToString("N"));

    protected PdfExportTests() => Directory.CreateDirectory(_folder);

    protected string Folder => _folder;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }

        GC.SuppressFinalize(this);
    }

    [Fact]
    public async Task Portuguese_text_header_roles_and_favourites_read_back_exactly()
    {
        var store = CreateStore();
        var session = await store.GetOrCreateSessionAsync("ana", "wf-pt", "Persistência de Chat por Workflow");
        var stored = await store.AppendMessagesAsync("ana", session.Id,
        [
            NewChatMessage.User("Qual é a situação da ação? Preciso da informação até às três."),
            NewChatMessage.Assistant("A ação está concluída: ç, ã, õ, é, ê, á, à, ú, í — tudo certo."),
        ]);
        await store.SetFavoriteAsync("ana", stored[1].Id, true);

        var pdf = await ExportAsync(store, "ana", session.Id, new ChatExportOptions { TimeZone = TimeZoneInfo.FindSystemTimeZoneById("America/Sao_Paulo") });

        using var document = PdfDocument.Open(pdf);
        var text = string.Join("\n", document.GetPages().Select(p => string.Join(" ", p.GetWords().Select(w => w.Text))));
        text.Should().Contain("Persistência de Chat por Workflow");
        text.Should().Contain("Workflow: wf-pt").And.Contain("User: ana").And.Contain("Exported:");
        text.Should().Contain("Qual é a situação da ação? Preciso da informação até às três.");
        text.Should().Contain("A ação está concluída: ç, ã, õ, é, ê, á, à, ú, í — tudo certo.");
        text.Should().Contain("Assistant ★").And.Contain("-03:00");
        document.GetPages().SelectMany(p => p.Letters).Select(l => l.FontName).Should().OnlyContain(f => f != null && f.Contains("DejaVu", StringComparison.Ordinal), "the font is embedded, nothing comes from the host");
    }

    [Fact]
    public async Task Code_blocks_are_monospace_and_long_messages_wrap_across_pages()
    {
        var store = CreateStore();
        var session = await store.GetOrCreateSessionAsync("ana", "wf-long");
        var words = Enumerable.Range(0, 2500).Select(i => $"palavra{i}").ToList();
        await store.AppendMessagesAsync("ana", session.Id,
        [
            NewChatMessage.Assistant("Antes do código:\n```csharp\nvar resposta = await cliente.GetAsync(\"https://exemplo.pt\");\n```\nDepois."),
            NewChatMessage.User(string.Join(' ', words) + " " + new string('z', 400)),
        ]);

        var pdf = await ExportAsync(store, "ana", session.Id);

        using var document = PdfDocument.Open(pdf);
        document.NumberOfPages.Should().BeGreaterThan(3);
        var letters = document.GetPages().SelectMany(p => p.Letters).ToList();
        var code = string.Concat(letters.Where(l => (l.FontName ?? "").Contains("Mono", StringComparison.Ordinal)).Select(l => l.Value));
        code.Should().Contain("var resposta = await cliente.GetAsync(\"https://exemplo.pt\");");
        letters.Where(l => l.Value == "A").Should().Contain(l => !(l.FontName ?? "").Contains("Mono", StringComparison.Ordinal));
        var extracted = document.GetPages().SelectMany(p => p.GetWords()).Select(w => w.Text).Where(w => w.StartsWith("palavra", StringComparison.Ordinal)).ToList();
        extracted.Should().Equal(words, "every word is there, in order, across page breaks");
        letters.Count(l => l.Value == "z").Should().Be(400, "an over-long word is broken across lines, not cut");
    }

    [Fact]
    public async Task A_60_KB_word_and_a_code_line_without_spaces_are_broken_into_full_lines_with_nothing_lost()
    {
        var store = CreateStore();
        var session = await store.GetOrCreateSessionAsync("ana", "wf-one-word");
        await store.AppendMessagesAsync("ana", session.Id,
        [
            NewChatMessage.User("antes " + new string('q', 60_000)),
            NewChatMessage.Assistant("```\n" + new string('k', 20_000) + "\n```"),
        ]);

        var pdf = await ExportAsync(store, "ana", session.Id);

        using var document = PdfDocument.Open(pdf);
        var letters = document.GetPages().SelectMany(p => p.Letters).ToList();
        letters.Count(l => l.Value == "q").Should().Be(60_000);
        letters.Count(l => l.Value == "k" && (l.FontName ?? "").Contains("Mono", StringComparison.Ordinal)).Should().Be(20_000);
        var lines = document.GetPages().SelectMany(p => p.Letters.Where(l => l.Value == "q").GroupBy(l => l.StartBaseLine.Y).Select(g => g.Count())).ToList();
        lines.SkipLast(1).Should().OnlyContain(n => n == lines[0], "every line but the last of one repeated letter holds as many as fit");
        lines[0].Should().BeGreaterThan(60, "lines are filled to the width, not cut short");
    }

    [Fact]
    public async Task Characters_the_font_lacks_get_a_visible_fallback()
    {
        var store = CreateStore();
        var session = await store.GetOrCreateSessionAsync("ana", "wf-emoji");
        await store.AppendMessagesAsync("ana", session.Id, [NewChatMessage.User("Olá 😀 mundo 你好 fim ★ ✓")]);

        var pdf = await ExportAsync(store, "ana", session.Id);

        using var document = PdfDocument.Open(pdf);
        var text = string.Join(" ", document.GetPages().SelectMany(p => p.GetWords()).Select(w => w.Text));
        text.Should().Contain("Olá [U+1F600] mundo [U+4F60][U+597D] fim ★ ✓", "DejaVu has ★ and ✓ but no CJK; emoji are outside the BMP");
    }

    [Fact]
    public async Task Metadata_is_included_when_asked_and_an_empty_session_says_so()
    {
        var store = CreateStore();
        var session = await store.GetOrCreateSessionAsync("ana", "wf-meta");
        var empty = await ExportAsync(store, "ana", session.Id);
        using (var document = PdfDocument.Open(empty))
        {
            string.Join(" ", document.GetPage(1).GetWords().Select(w => w.Text)).Should().Contain("(no messages)");
        }

        using var metadata = JsonDocument.Parse("""{"model":"gpt-test","tokens":42}""");
        await store.AppendMessagesAsync("ana", session.Id, [NewChatMessage.Assistant("resposta", metadata.RootElement)]);
        var pdf = await ExportAsync(store, "ana", session.Id, new ChatExportOptions { IncludeMetadata = true });
        using var withMetadata = PdfDocument.Open(pdf);
        string.Concat(withMetadata.GetPages().SelectMany(p => p.Letters).Select(l => l.Value)).Should().Contain("\"model\":\"gpt-test\"");
    }

    [Fact]
    public async Task Cancellation_is_honoured_and_a_foreign_session_is_not_found()
    {
        var store = CreateStore();
        var session = await store.GetOrCreateSessionAsync("ana", "wf");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await FluentActions.Awaiting(() => store.ExportPdfAsync("ana", session.Id, new MemoryStream(), null, cancelled.Token)).Should().ThrowAsync<OperationCanceledException>();
        await FluentActions.Awaiting(() => store.ExportPdfAsync("bob", session.Id, new MemoryStream())).Should().ThrowAsync<ChatNotFoundException>();
    }

    [Fact]
    public async Task Replies_that_are_not_complete_are_marked_after_their_text()
    {
        var store = CreateStore();
        var session = await store.GetOrCreateSessionAsync("ana", "wf-status");
        await store.AppendMessagesAsync("ana", session.Id, [NewChatMessage.User("Conte uma história.")]);
        var stopped = await store.BeginReplyAsync("ana", session.Id, new NewChatReply());
        await store.FinishReplyAsync("ana", stopped.Id, new ChatReplyFinish { Status = ChatReplyStatus.Stopped, Reason = ChatReplyReason.CallerStopped, Text = "Era uma vez" });
        var failed = await store.BeginReplyAsync("ana", session.Id, new NewChatReply());
        await store.FinishReplyAsync("ana", failed.Id, new ChatReplyFinish { Status = ChatReplyStatus.Interrupted, Reason = ChatReplyReason.Failed, ReasonDetail = "HttpRequestException: 503", Text = "Um dragão" });
        var streaming = await store.BeginReplyAsync("ana", session.Id, new NewChatReply());
        await store.GrowReplyAsync("ana", streaming.Id, 0, "Ainda a escrever");

        var pdf = await ExportAsync(store, "ana", session.Id);

        using var document = PdfDocument.Open(pdf);
        var text = string.Join("\n", document.GetPages().Select(p => string.Join(" ", p.GetWords().Select(w => w.Text))));
        text.Should().Contain("Era uma vez [stopped]")
            .And.Contain("Um dragão [interrupted: the model failed — HttpRequestException: 503]")
            .And.Contain("Ainda a escrever [still being written]");
        text.Should().NotContain("história. [", "a complete message has no marker");
    }

    protected abstract IChatSessionStore CreateStore();

    private static async Task<byte[]> ExportAsync(IChatSessionStore store, string user, Guid session, ChatExportOptions? options = null)
    {
        using var output = new MemoryStream();
        await store.ExportPdfAsync(user, session, output, options);
        return output.ToArray();
    }
}

public sealed class InMemoryPdfExportTests : PdfExportTests
{
    protected override IChatSessionStore CreateStore() => new InMemoryChatSessionStore();
}

public sealed class SqlitePdfExportTests : PdfExportTests
{
    protected override IChatSessionStore CreateStore() => new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = Path.Combine(Folder, "chat.db") });
}
