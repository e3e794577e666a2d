using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using ChatPersistence.Sdk;
using FluentAssertions;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Xunit;
using Xunit.Abstractions;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>Exports on a real Kestrel server: text formats stream with bounded memory; the PDF has a size cap and a time limit.</summary>
public sealed class ExportTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_100_MB_history_exports_as_json_with_bounded_server_memory_and_the_first_bytes_before_the_last_page_is_read()
    {
        HeldPagesStore? held = null;
        await using var server = await StartAsync(
            builder => builder.Services.AddChatPersistence().Use((inner, _) => held = new HeldPagesStore(inner)));
        const int Messages = 100;
        var content = string.Concat(Enumerable.Repeat("Exportação em fluxo — ", 850_000 / 22)).PadRight(850_000, '.');
        var session = await server.Store.GetOrCreateSessionAsync(server.UserId, "big");
        for (var i = 0; i < Messages; i += 10)
        {
            await server.Store.AppendMessagesAsync(server.UserId, session.Id, Enumerable.Range(i, 10).Select(n => NewChatMessage.User(n + content)).ToList());
        }

        // The export reads 10 messages a page: the first two pages pass, the other eight are held until the first bytes
        // arrived. A server that wrote the file only once it had all of it would send nothing (the wait below is a hang
        // bound, not a timing).
        held.Should().NotBeNull();
        held!.Hold(pages: 2);
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var clock = Stopwatch.StartNew();
        using var hang = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var response = await server.Http.GetAsync("/api/workflows/big/export/json", HttpCompletionOption.ResponseHeadersRead, hang.Token);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(hang.Token);
        var buffer = new byte[64 * 1024];
        var first = await body.ReadAsync(buffer, hang.Token);
        var firstByte = clock.Elapsed;
        first.Should().BeGreaterThan(0, "the first pages are written before the later ones are read");
        held.Release();
        long total = first, peak = 0, nextSample = 0;
        int read;
        while ((read = await body.ReadAsync(buffer)) > 0)
        {
            total += read;
            if (total >= nextSample)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true) - baseline);
                nextSample += 10 * 1024 * 1024;
            }
        }

        output.WriteLine($"exported {total / 1048576.0:0.0} MB in {clock.Elapsed.TotalSeconds:0.0} s, first byte after {firstByte.TotalMilliseconds:0} ms, peak live growth {peak / 1048576.0:0.0} MB");
        total.Should().BeGreaterThan(100L * 1_000_000);
        peak.Should().BeLessThan(50L * 1024 * 1024, "the export is written as it is read, a page at a time");
    }

    [Fact]
    public async Task A_pdf_export_beyond_the_cap_is_a_clear_422_and_a_small_one_works()
    {
        await using var server = await StartAsync("--Limits:MaxPdfExportBytes", "100000");
        var session = await server.Store.GetOrCreateSessionAsync(server.UserId, "pdf");
        await server.Store.AppendMessageAsync(server.UserId, session.Id, NewChatMessage.User("small"));
        (await server.Http.GetAsync("/api/workflows/pdf/export/pdf")).StatusCode.Should().Be(HttpStatusCode.OK);

        await server.Store.AppendMessagesAsync(server.UserId, session.Id, Enumerable.Range(0, 30).Select(i => NewChatMessage.User(new string('p', 10_000))).ToList());
        var response = await server.Http.GetAsync("/api/workflows/pdf/export/pdf");

        response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        (await response.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>().Should().Contain("txt, md or json");
        (await server.Http.GetAsync("/api/workflows/pdf/export/txt")).StatusCode.Should().Be(HttpStatusCode.OK, "the text formats stream and have no cap");
    }

    [Fact]
    public async Task A_pdf_export_that_runs_too_long_is_stopped_with_a_503_inside_a_long_message()
    {
        await using var server = await StartAsync("--Limits:PdfExportTimeout", "00:00:00.001");
        var session = await server.Store.GetOrCreateSessionAsync(server.UserId, "slow-pdf");
        // Unbroken 1 MB "words" (about 17,000 lines each; layout is linear now): seconds of rendering, so even a time-limit
        // callback delayed by a busy machine fires long before the end, and only a check inside a message stops it.
        await server.Store.AppendMessagesAsync(server.UserId, session.Id, Enumerable.Range(0, 6).Select(i => NewChatMessage.User(new string((char)('t' + i), 1_000_000))).ToList());

        var clock = Stopwatch.StartNew();
        var response = await server.Http.GetAsync("/api/workflows/slow-pdf/export/pdf");
        output.WriteLine($"answered {response.StatusCode} after {clock.ElapsedMilliseconds} ms");

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        (await response.Content.ReadFromJsonAsync<JsonObject>())!["title"]!.GetValue<string>().Should().Be("Export timed out");
        // A hang bound, not a timing: without the check inside the message the wrapping runs for minutes.
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(60), "cancellation is honoured inside one long message, not after it");
    }

    [Fact]
    public async Task A_pdf_export_over_the_cap_is_422_at_once_even_when_rendering_up_to_the_cap_would_outlast_the_time_limit()
    {
        await using var server = await StartAsync("--Limits:MaxPdfExportBytes", "100000", "--Limits:PdfExportTimeout", "00:00:00.200");
        var session = await server.Store.GetOrCreateSessionAsync(server.UserId, "big-pdf");
        // 20 unbroken 5 KB words fill the first page read by the renderer exactly to the cap (slow to wrap); the 21st passes it.
        await server.Store.AppendMessagesAsync(server.UserId, session.Id, Enumerable.Range(0, 21).Select(i => NewChatMessage.User(new string((char)('a' + i), 5_000))).ToList());

        var response = await server.Http.GetAsync("/api/workflows/big-pdf/export/pdf");

        response.StatusCode.Should().Be(HttpStatusCode.UnprocessableEntity, "too large is known from reading alone, before any rendering");
    }

    [Fact]
    public async Task PDF_exports_have_a_per_user_rate_limit_of_their_own()
    {
        await using var server = await StartAsync("--Limits:PdfExportsPerMinute", "2");
        var session = await server.Store.GetOrCreateSessionAsync(server.UserId, "few-pdf");
        await server.Store.AppendMessageAsync(server.UserId, session.Id, NewChatMessage.User("short"));

        (await server.Http.GetAsync("/api/workflows/few-pdf/export/pdf")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await server.Http.GetAsync("/api/workflows/few-pdf/export/pdf")).StatusCode.Should().Be(HttpStatusCode.OK);
        var refused = await server.Http.GetAsync("/api/workflows/few-pdf/export/pdf");
        refused.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        refused.Headers.RetryAfter.Should().NotBeNull();
        (await refused.Content.ReadFromJsonAsync<JsonObject>())!["detail"]!.GetValue<string>().Should().Contain("txt, md or json");
        (await server.Http.GetAsync("/api/workflows/few-pdf/export/txt")).StatusCode.Should().Be(HttpStatusCode.OK, "the text formats are not counted");
    }

    private static Task<RunningServer> StartAsync(params string[] settings) => StartAsync(null, settings);

    private static async Task<RunningServer> StartAsync(Action<WebApplicationBuilder>? configure, params string[] settings)
    {
        var app = ChatServer.Build(["--environment", "Development", "--urls", "http://127.0.0.1:0", "--ChatPersistence:Store", "InMemory", .. settings], configure);
        await app.StartAsync();
        var http = new HttpClient { BaseAddress = new Uri(app.Urls.First()), Timeout = TimeSpan.FromMinutes(2) };
        var token = (await (await http.PostAsJsonAsync("/dev/token", new { name = "exporter" })).Content.ReadFromJsonAsync<JsonObject>())!;
        http.DefaultRequestHeaders.Authorization = new("Bearer", token["token"]!.GetValue<string>());
        return new RunningServer(app, http, app.Services.GetRequiredService<IChatSessionStore>(), token["userId"]!.GetValue<string>());
    }
}
