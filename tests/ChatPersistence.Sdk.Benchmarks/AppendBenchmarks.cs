using System.Net.Http.Json;
using BenchmarkDotNet.Attributes;
using ChatPersistence.Sdk.Postgres;
using ChatPersistence.Sdk.PostgrestTesting;
using ChatPersistence.Sdk.Supabase;
using Npgsql;
using NpgsqlTypes;

namespace ChatPersistence.Sdk.Benchmarks;

/// <summary>
/// Appending one message, on PostgreSQL over loopback: the raw INSERT of the same row is the floor (baseline); the
/// PostgreSQL store is one round trip to chat_append_messages (which also checks ownership, idempotency and updates the
/// session counters); the Supabase store is one HTTP request through the PostgREST-compatible server; the original plan is
/// two requests through that server (upsert the session, then insert the row).
/// </summary>
public class AppendBenchmarks
{
    private NpgsqlDataSource _admin = null!;
    private PostgrestTestServer _server = null!;
    private PostgresChatSessionStore _postgres = null!;
    private SupabaseChatSessionStore _supabase = null!;
    private HttpClient _http = null!;
    private Guid _user;
    private Guid _session;
    private Guid _batchSession;
    private List<NewChatMessage> _batch = null!;

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        var (cluster, database, admin) = await BenchEnvironment.DatabaseAsync();
        _admin = admin;
        _server = await BenchEnvironment.ServerAsync(cluster, database);
        _postgres = new PostgresChatSessionStore(admin);
        _http = new HttpClient();
        _supabase = new SupabaseChatSessionStore(_http, new SupabaseChatStoreOptions { Url = _server.Url, ServiceRoleKey = _server.ServiceRoleKey });
        _user = await BenchEnvironment.UserAsync(admin);
        _session = (await _postgres.GetOrCreateSessionAsync(_user.ToString(), "append")).Id;
        _batchSession = (await _postgres.GetOrCreateSessionAsync(_user.ToString(), "batch")).Id;
        _batch = Enumerable.Range(0, 100).Select(i => NewChatMessage.User($"batch message {i} with typical length text")).ToList();
    }

    private async Task CleanupAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        await _admin.DisposeAsync();
    }

    [Benchmark(Baseline = true, Description = "raw INSERT (Npgsql)")]
    public async Task<int> RawInsert()
    {
        await using var command = _admin.CreateCommand(
            "insert into public.chat_messages (id, session_id, user_id, role, content, metadata) values ($1, $2, $3, 'user', $4, '{}'::jsonb)");
        command.Parameters.AddWithValue(Guid.CreateVersion7());
        command.Parameters.AddWithValue(_session);
        command.Parameters.AddWithValue(_user);
        command.Parameters.AddWithValue(NpgsqlDbType.Text, "Hello, this is a typical user message of moderate length.");
        return await command.ExecuteNonQueryAsync();
    }

    [Benchmark(Description = "PostgreSQL store: append 1")]
    public Task<StoredChatMessage> PostgresStore() =>
        _postgres.AppendMessageAsync(_user.ToString(), _session, NewChatMessage.User("Hello, this is a typical user message of moderate length."));

    [Benchmark(Description = "PostgreSQL store: append batch of 100")]
    public Task<IReadOnlyList<StoredChatMessage>> PostgresStoreBatch() =>
        _postgres.AppendMessagesAsync(_user.ToString(), _batchSession, _batch.Select(m => m with { Id = Guid.CreateVersion7() }).ToList());

    [Benchmark(Description = "Supabase store: append 1 (HTTP, test server)")]
    public Task<StoredChatMessage> SupabaseStore() =>
        _supabase.AppendMessageAsync(_user.ToString(), _session, NewChatMessage.User("Hello, this is a typical user message of moderate length."));

    [Benchmark(Description = "original plan: upsert session + insert (2 HTTP requests)")]
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

    private HttpRequestMessage Request(string path, object body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_server.Url, path)) { Content = JsonContent.Create(body) };
        request.Headers.Add("apikey", _server.ServiceRoleKey);
        request.Headers.Authorization = new("Bearer", _server.ServiceRoleKey);
        return request;
    }
}
