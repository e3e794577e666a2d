using System.Globalization;
using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using ChatPersistence.Sdk.Supabase;

namespace ChatPersistence.Sdk.Benchmarks;

/// <summary>
/// The Supabase store's own cost per call — validation, JSON serialisation, HTTP plumbing, parsing the answer — against an
/// in-process handler that answers at once with a canned PostgREST response (no network, no database). The reference row
/// sends a bare request through the same <see cref="HttpClient"/> and handler: what any call costs before the store does
/// anything (request, response and content objects, the client's send path); the store's own share is a row minus it.
/// </summary>
[MedianColumn]
public class SupabaseClientBenchmarks
{
    private const int PageSize = 50;

    private static readonly byte[] AppendAnswer = Encoding.UTF8.GetBytes(
        """[{"id":"0194a3b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b","session_id":"0194a3b2-7c1d-7e4f-8a9b-0c1d2e3f4a5c","seq":42,"role":"user","content":"Hello, this is a typical user message of moderate length.","metadata":{},"created_at":"2026-11-25T02:30:00.123456+00:00","is_favorite":false}]""");

    /// <summary>The newest page of a 50-message session as PostgREST sends <c>chat_read_messages</c>' rows (json_agg of the rows).</summary>
    private static readonly byte[] PageAnswer = PageJson(PageSize);

    private readonly NewChatMessage _message = NewChatMessage.User("Hello, this is a typical user message of moderate length.");
    private readonly string _user = Guid.NewGuid().ToString();
    private readonly Guid _session = Guid.NewGuid();
    private readonly ChatHistoryRequest _page = new() { PageSize = PageSize };
    private readonly Uri _rpc = new("http://localhost/rest/v1/rpc/chat_append_messages");
    private SupabaseChatSessionStore _appendStore = null!;
    private SupabaseChatSessionStore _pageStore = null!;
    private HttpClient _appendHttp = null!;
    private HttpClient _pageHttp = null!;

    [GlobalSetup]
    public void Setup()
    {
        var options = new SupabaseChatStoreOptions { Url = new Uri("http://localhost"), ServiceRoleKey = "key" };
        _appendHttp = new HttpClient(new CannedHandler(AppendAnswer));
        _pageHttp = new HttpClient(new CannedHandler(PageAnswer));
        _appendStore = new SupabaseChatSessionStore(_appendHttp, options);
        _pageStore = new SupabaseChatSessionStore(_pageHttp, options);
        Console.WriteLine($"// Supabase page answer: {PageSize} rows, {PageAnswer.Length} bytes of JSON; append answer: {AppendAnswer.Length} bytes");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _appendHttp.Dispose();
        _pageHttp.Dispose();
    }

    [Benchmark(Description = "HttpClient + canned handler only (reference)")]
    public async Task<long> HandlerOnly()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _rpc);
        using var response = await _appendHttp.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).ConfigureAwait(false);
        return response.Content.Headers.ContentLength ?? 0;
    }

    [Benchmark(Description = "Supabase store: append 1, canned handler")]
    public Task<StoredChatMessage> Append() => _appendStore.AppendMessageAsync(_user, _session, _message);

    [Benchmark(Description = "Supabase store: newest page of 50, canned handler")]
    public Task<ChatMessagePage> ReadPage() => _pageStore.GetMessagesAsync(_user, _session, _page);

    /// <summary>
    /// Rows as <c>chat_read_messages</c> returns them for the newest page (descending seq), rendered the way PostgREST renders
    /// them (<c>json_agg</c>: rows separated by <c>", \n "</c>; jsonb metadata with <c>": "</c> and <c>", "</c>): contents of
    /// 60–200 characters, some with accents; user turns mostly with empty metadata, assistant turns with model and token usage.
    /// </summary>
    private static byte[] PageJson(int rows)
    {
        var random = new Random(18);
        var session = Guid.Parse("0194a3b2-7c1d-7e4f-8a9b-0c1d2e3f4a5c");
        var start = new DateTimeOffset(2026, 11, 25, 2, 30, 0, TimeSpan.Zero);
        const string Words = "the store keeps every message of the workflow chat so that the agent can pick up where the user left off " +
            "olá até já ação relatório previsão orçamento please summarise the report and list the next steps for the team";
        var words = Words.Split(' ');
        var json = new StringBuilder("[");
        for (var i = 0; i < rows; i++)
        {
            var seq = 1000L + rows - i;
            var assistant = seq % 2 == 0;
            var length = random.Next(60, 201);
            var content = new StringBuilder();
            while (content.Length < length)
            {
                content.Append(words[random.Next(words.Length)]).Append(' ');
            }

            content.Length = length;
            var metadata = assistant
                ? $$"""{"model": "gpt-4o-mini", "usage": {"input_tokens": {{random.Next(100, 4000)}}, "output_tokens": {{random.Next(20, 600)}}}, "finish_reason": "stop"}"""
                : seq % 5 == 0 ? """{"attachments": [{"name": "report.pdf", "size": 48213, "mime_type": "application/pdf"}]}""" : "{}";
            var created = start.AddSeconds(seq * 7).AddTicks(random.Next(0, 10_000_000) / 10 * 10);
            json.Append(i == 0 ? "" : ", \n ")
                .Append("{\"id\":\"").Append(Guid.CreateVersion7(created)).Append("\",\"session_id\":\"").Append(session)
                .Append("\",\"seq\":").Append(seq.ToString(CultureInfo.InvariantCulture))
                .Append(",\"role\":\"").Append(assistant ? "assistant" : "user")
                .Append("\",\"content\":\"").Append(content.ToString().Trim()).Append('"')
                .Append(",\"metadata\":").Append(metadata)
                .Append(",\"created_at\":\"").Append(created.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffffzzz", CultureInfo.InvariantCulture))
                .Append("\",\"is_favorite\":").Append(seq % 17 == 0 ? "true" : "false")
                .Append(",\"beyond\":false}");
        }

        return Encoding.UTF8.GetBytes(json.Append(']').ToString());
    }

    private sealed class CannedHandler(byte[] answer) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(answer) });
    }
}
