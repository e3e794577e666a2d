using BenchmarkDotNet.Attributes;
using ChatPersistence.Sdk.Export.Pdf;

namespace ChatPersistence.Sdk.Benchmarks;

/// <summary>
/// Rendering a session as PDF (in memory, no database): ten 60 KB messages that are each one word without spaces (the text
/// is broken by characters), against a normal chat of the same 600 KB (600 messages of ~1 KB prose). Layout cost is linear in
/// the text, so the two take comparable time. Smoke mode renders a tenth of each.
/// </summary>
public class PdfExportBenchmarks
{
    private static readonly string[] Words = ["persistência", "de", "chat", "por", "workflow", "mensagem", "ação", "informação", "the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog"];
    private readonly InMemoryChatSessionStore _store = new();
    private Guid _session;

    /// <summary>The history's shape: <c>one-word</c> (ten 60 KB words) or <c>prose</c> (600 messages of ~1 KB).</summary>
    [Params("one-word", "prose")]
    public string Shape { get; set; } = "prose";

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [Benchmark(Description = "ExportPdfAsync, 600 KB of text")]
    public async Task<long> Export()
    {
        using var output = new MemoryStream();
        await _store.ExportPdfAsync("bench", _session, output);
        return output.Length;
    }

    private async Task SetupAsync()
    {
        var scale = BenchMode.Smoke ? 10 : 1;
        _session = (await _store.GetOrCreateSessionAsync("bench", Shape)).Id;
        if (Shape == "one-word")
        {
            for (var i = 0; i < 10 / scale; i++)
            {
                await _store.AppendMessagesAsync("bench", _session, [NewChatMessage.User(new string((char)('a' + i), 60_000))]);
            }

            return;
        }

        var random = new Random(28);
        for (var i = 0; i < 600 / scale; i++)
        {
            var text = new System.Text.StringBuilder();
            while (text.Length < 1_000)
            {
                text.Append(Words[random.Next(Words.Length)]).Append(' ');
            }

            await _store.AppendMessagesAsync("bench", _session, [i % 2 == 0 ? NewChatMessage.User(text.ToString()) : NewChatMessage.Assistant(text.ToString())]);
        }
    }
}
