using System.Net.Http.Json;
using BenchmarkDotNet.Attributes;
using ChatPersistence.Sdk.Postgres;
using ChatPersistence.Sdk.PostgrestTesting;
using ChatPersistence.Sdk.Supabase;
using Npgsql;

namespace ChatPersistence.Sdk.Benchmarks;

/// <summary>
/// Appending through the PostgREST-compatible test server on PostgreSQL over loopback: the original plan's two requests
/// (upsert the session, then insert the row; baseline) against the Supabase store's one request to chat_append_messages.
/// </summary>
public class SupabaseAppendBenchmarks
{
    private NpgsqlDataSource _admin = null!;
    private PostgrestTestServer _server = null!;
    private SupabaseChatSessionStore _supabase = null!;
    private HttpClient _http = null!;
    private Guid _user;
    private Guid _session;

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        var (cluster, database, admin) = await BenchEnvironment.DatabaseAsync();
        _admin = admin;
        _server = await BenchEnvironment.ServerAsync(cluster, database);
        _http = new HttpClient();
        _supabase = new SupabaseChatSessionStore(_http, new SupabaseChatStoreOptions { Url = _server.Url, ServiceRoleKey = _server.ServiceRoleKey });
        _user = await BenchEnvironment.UserAsync(admin);
        _session = (await new PostgresChatSessionStore(admin).GetOrCreateSessionAsync(_user.ToString(), "append")).Id;
    }

    private async Task CleanupAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        await _admin.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "original plan: upsert session + insert (2 HTTP requests)")]
    public async Task<HttpResponseMessage> OriginalPlan()
    {
        using var upsert = Request("/rest/v1/rpc/chat_get_or_create_session", new { p_workflow_id = "append", p_user_id = _user });
        (await _http.SendAsync(upsert)).EnsureSuccessStatusCode().Dispose();
        using var insert = Request("/rest/v1/chat_messages", new
        {
            id = Guid.CreateVersion7(),
            session_id = _session,
            user_id = _user,
            role = "user",
            content = "Hello, this is a typical user message of moderate length.",
        });
        return (await _http.SendAsync(insert)).EnsureSuccessStatusCode();
    }

    [Benchmark(Description = "Supabase store: append 1 (one HTTP request)")]
    public Task<StoredChatMessage> SupabaseStore() =>
        _supabase.AppendMessageAsync(_user.ToString(), _session, NewChatMessage.User("Hello, this is a typical user message of moderate length."));

    private HttpRequestMessage Request(string path, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_server.Url, path)) { Content = JsonContent.Create(body) };
        request.Headers.Add("apikey", _server.ServiceRoleKey);
        request.Headers.Authorization = new("Bearer", _server.ServiceRoleKey);
        return request;
    }
}
