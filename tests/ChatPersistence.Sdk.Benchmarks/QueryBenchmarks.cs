using BenchmarkDotNet.Attributes;
using ChatPersistence.Sdk.Postgres;
using Npgsql;

namespace ChatPersistence.Sdk.Benchmarks;

/// <summary>Search across a user's 100k messages, get-or-create of an existing session, and listing 20 of 200 sessions (PostgreSQL).</summary>
public class QueryBenchmarks
{
    private NpgsqlDataSource _admin = null!;
    private PostgresChatSessionStore _store = null!;
    private string _user = null!;

    [GlobalSetup]
    public void Setup() => SetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void Cleanup() => CleanupAsync().GetAwaiter().GetResult();

    private async Task SetupAsync()
    {
        (_, _, _admin) = await BenchEnvironment.DatabaseAsync();
        _store = new PostgresChatSessionStore(_admin);
        var user = await BenchEnvironment.UserAsync(_admin);
        _user = user.ToString();
        for (var i = 0; i < 200; i++)
        {
            var session = await _store.GetOrCreateSessionAsync(_user, $"workflow-{i}");
            if (i < 10)
            {
                await BenchEnvironment.SeedAsync(_admin, user, session.Id, 10_000, i == 3 ? "rare zanzibar note" : "message number");
            }
        }
    }

    private async Task CleanupAsync() => await _admin.DisposeAsync();

    [Benchmark(Description = "search a user's 100k messages (rare word)")]
    public async Task<int> SearchRare() => (await _store.SearchAsync(_user, new ChatSearchRequest("zanzibar") { PageSize = 20 })).Items.Count;

    [Benchmark(Description = "search a user's 100k messages (common word, top 20)")]
    public async Task<int> SearchCommon() => (await _store.SearchAsync(_user, new ChatSearchRequest("topic") { PageSize = 20 })).Items.Count;

    [Benchmark(Description = "get-or-create an existing session")]
    public async Task<Guid> GetOrCreate() => (await _store.GetOrCreateSessionAsync(_user, "workflow-7")).Id;

    [Benchmark(Description = "list sessions (20 of 200)")]
    public async Task<int> ListSessions() => (await _store.ListSessionsAsync(_user, new ChatListRequest { PageSize = 20 })).Items.Count;
}
