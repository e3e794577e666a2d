using System.Diagnostics;
using ChatPersistence.Sdk.Sqlite;
using FluentAssertions;
using Microsoft.Data.Sqlite;
using Xunit;

namespace ChatPersistence.Sdk.Export.Pdf.Tests;

/// <summary>
/// Renders the first page with poppler's <c>pdftoppm</c> (a second, independent PDF reader) as a test artifact, and measures
/// the memory of a 10,000-message export. Not parallel with other tests, so the memory figure is this export's alone.
/// </summary>
[Collection(nameof(SerialPdfTests))]
public sealed class PdfRenderingTests
{
    [Fact]
    public async Task The_first_page_renders_to_png_with_poppler()
    {
        var store = new InMemoryChatSessionStore();
        var session = await store.GetOrCreateSessionAsync("ana", "onboarding", "Persistência de Chat por Workflow");
        var messages = await store.AppendMessagesAsync("ana", session.Id,
        [
            NewChatMessage.User("Olá! Como exporto o histórico desta conversa em PDF?"),
            NewChatMessage.Assistant("Use o comando /export pdf. Exemplo em C#:\n```csharp\nawait store.ExportPdfAsync(userId, sessionId, arquivo);\n```\nA exportação inclui ação, função e informação com acentos 😀."),
            NewChatMessage.User("Perfeito, obrigado!"),
        ]);
        await store.SetFavoriteAsync("ana", messages[1].Id, true);
        var folder = Path.Combine(AppContext.BaseDirectory, "artifacts");
        Directory.CreateDirectory(folder);
        var pdfPath = Path.Combine(folder, "export-sample.pdf");
        await using (var file = File.Create(pdfPath))
        {
            await store.ExportPdfAsync("ana", session.Id, file);
        }

        var prefix = Path.Combine(folder, "export-page");
        var (exitCode, output) = await RunAsync("pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", pdfPath, prefix);

        exitCode.Should().Be(0, output);
        var png = await File.ReadAllBytesAsync(prefix + ".png");
        png.Take(8).Should().Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });
        png.Length.Should().BeGreaterThan(5_000, "a rendered page with text, not a blank image");
    }

    [Fact]
    public async Task A_10k_message_export_stays_within_its_memory_bound()
    {
        var folder = Path.Combine(Path.GetTempPath(), "chatpersistence-pdf10k-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        try
        {
            var store = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = Path.Combine(folder, "chat.db") });
            var session = await store.GetOrCreateSessionAsync("ana", "big");
            for (var batch = 0; batch < 100; batch++)
            {
                await store.AppendMessagesAsync("ana", session.Id, Enumerable.Range(0, 100)
                    .Select(i => (batch * 100 + i) % 2 == 0
                        ? NewChatMessage.User($"Mensagem {batch * 100 + i}: qual é a situação da ação número {i}?")
                        : NewChatMessage.Assistant($"Resposta {batch * 100 + i}: a ação está em andamento e a informação será atualizada em breve."))
                    .ToList());
            }

            var baseline = Collect();
            long peak = baseline;
            using var sampling = new CancellationTokenSource();
            var sampler = Task.Run(async () =>
            {
                while (!sampling.IsCancellationRequested)
                {
                    peak = Math.Max(peak, GC.GetTotalMemory(false));
                    await Task.Delay(5);
                }
            });
            long written;
            await using (var file = File.Create(Path.Combine(folder, "big.pdf")))
            {
                written = await store.ExportPdfAsync("ana", session.Id, file);
            }

            await sampling.CancelAsync();
            await sampler;
            var size = new FileInfo(Path.Combine(folder, "big.pdf")).Length;
            var peakMegabytes = (peak - baseline) / (1024.0 * 1024.0);
            Console.WriteLine($"10,000-message PDF: {size / 1024} KB, managed heap peak +{peakMegabytes:F0} MB");

            written.Should().Be(10_000);
            peakMegabytes.Should().BeLessThan(100, "the documented bound for a 10k-message export (docs/export.md; measured about 20 MB)");
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static long Collect()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(true);
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string tool, params string[] arguments)
    {
        var info = new ProcessStartInfo(tool) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(info)!;
            var output = await process.StandardError.ReadToEndAsync() + await process.StandardOutput.ReadToEndAsync();
            await process.WaitForExitAsync();
            return (process.ExitCode, output);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"'{tool}' is not installed. Install Debian's poppler-utils: apt-get install -y poppler-utils. ({ex.Message})", ex);
        }
    }
}
