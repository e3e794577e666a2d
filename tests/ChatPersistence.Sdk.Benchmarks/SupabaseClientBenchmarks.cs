using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using ChatPersistence.Sdk.Supabase;

namespace ChatPersistence.Sdk.Benchmarks;

/// <summary>
/// The Supabase store's own cost per append — validation, JSON serialisation, HTTP plumbing, parsing the answer — against an
/// in-process handler that answers at once with a canned PostgREST response (no network, no database).
/// </summary>
public class SupabaseClientBenchmarks
{
    private static readonly byte[] Answer = Encoding.UTF8.GetBytes(
        """[{"id":"0194a3b2-7c1d-7e4f-8a9b-0c1d2e3f4a5b","session_id":"0194a3b2-7c1d-7e4f-8a9b-0c1d2e3f4a5c","seq":42,"role":"user","content":"Hello, this is a typical user message of moderate length.","metadata":{},"created_at":"2026-11-25T02:30:00.123456+00:00","is_favorite":false}]""");

    private SupabaseChatSessionStore _store = null!;
    private HttpClient _http = null!;
    private readonly NewChatMessage _message = NewChatMessage.User("Hello, this is a typical user message of moderate length.");
    private readonly string _user = Guid.NewGuid().ToString();
    private readonly Guid _session = Guid.NewGuid();

    [GlobalSetup]
    public void Setup()
    {
        _http = new HttpClient(new CannedHandler());
        _store = new SupabaseChatSessionStore(_http, new SupabaseChatStoreOptions { Url = new Uri("http://localhost"), ServiceRoleKey = "key" });
    }

    [GlobalCleanup]
    public void Cleanup() => _http.Dispose();

    [Benchmark(Description = "Supabase store: append 1, no-op handler")]
    public Task<StoredChatMessage> Append() => _store.AppendMessageAsync(_user, _session, _message);

    private sealed class CannedHandler : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(Answer) });
    }
}
