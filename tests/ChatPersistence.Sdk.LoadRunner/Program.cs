using System.Collections.Concurrent;
using System.Diagnostics;
using ChatPersistence.Sdk;
using ChatPersistence.Sdk.LoadRunner;
using ChatPersistence.Sdk.LoadRunner.Streaming;
using ChatPersistence.Sdk.Postgres;
using ChatPersistence.Sdk.PostgresTesting;
using ChatPersistence.Sdk.PostgrestTesting;
using ChatPersistence.Sdk.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

// dotnet run -c Release --project tests/ChatPersistence.Sdk.LoadRunner -- --store postgres --users 20 --workflows 5 --seconds 60
// dotnet run -c Release --project tests/ChatPersistence.Sdk.LoadRunner -- --streaming --replies 100 --workers 5 --chunks 300 --kills 1
if (args.Contains("--streaming-worker"))
{
    return await StreamingWorker.RunAsync(args);
}

if (args.Contains("--streaming"))
{
    var result = await StreamingLoad.RunAsync(
        new StreamingLoadOptions
        {
            Replies = int.Parse(Argument("--replies", "100"), System.Globalization.CultureInfo.InvariantCulture),
            Workers = int.Parse(Argument("--workers", "5"), System.Globalization.CultureInfo.InvariantCulture),
            Chunks = int.Parse(Argument("--chunks", "300"), System.Globalization.CultureInfo.InvariantCulture),
            ChunksPerSecond = double.Parse(Argument("--rate", "20"), System.Globalization.CultureInfo.InvariantCulture),
            FlushInterval = TimeSpan.FromMilliseconds(double.Parse(Argument("--flush-ms", "200"), System.Globalization.CultureInfo.InvariantCulture)),
            Lease = TimeSpan.FromSeconds(double.Parse(Argument("--lease", "15"), System.Globalization.CultureInfo.InvariantCulture)),
            Kills = int.Parse(Argument("--kills", "1"), System.Globalization.CultureInfo.InvariantCulture),
            RestartPostgres = Argument("--restart", "immediate") != "none",
            ImmediateRestart = Argument("--restart", "immediate") == "immediate",
        },
        Console.Out);
    return result.Verified ? 0 : 1;
}

var store = Argument("--store", "sqlite");
var users = int.Parse(Argument("--users", "20"), System.Globalization.CultureInfo.InvariantCulture);
var workflows = int.Parse(Argument("--workflows", "5"), System.Globalization.CultureInfo.InvariantCulture);
var seconds = int.Parse(Argument("--seconds", "60"), System.Globalization.CultureInfo.InvariantCulture);
var connection = Argument("--connection", "");

await using var disposables = new Disposables();
Func<Task<string>> newUser = () => Task.FromResult(Guid.NewGuid().ToString());
IChatSessionStore target;
switch (store)
{
    case "sqlite":
        var path = Path.Combine(Path.GetTempPath(), "chatpersistence-load-" + Guid.NewGuid().ToString("N") + ".db");
        target = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = path });
        Console.WriteLine($"SQLite file {path}");
        break;
    case "postgres" or "supabase":
        NpgsqlDataSource admin;
        string connectionString;
        if (connection.Length > 0)
        {
            connectionString = connection;
        }
        else
        {
            var cluster = await PostgresCluster.GetAsync();
            connectionString = cluster.ConnectionString(await cluster.CreateDatabaseAsync());
        }

        admin = disposables.Add(NpgsqlDataSource.Create(connectionString));
        newUser = async () =>
        {
            var id = Guid.NewGuid();
            await using var insert = admin.CreateCommand("insert into auth.users (id) values ($1)");
            insert.Parameters.AddWithValue(id);
            await insert.ExecuteNonQueryAsync();
            return id.ToString();
        };
        if (store == "postgres")
        {
            // As UsePostgres(connectionString) builds it: the store's own data source (which keeps the functions' plans).
            target = disposables.Add(new PostgresChatSessionStore(connectionString));
            Console.WriteLine("PostgreSQL store (service mode), its own Npgsql pool, loopback");
        }
        else
        {
            var server = disposables.Add(await PostgrestTestServer.StartAsync(new PostgrestTestServerOptions { ConnectionString = connectionString }));
            var services = new ServiceCollection();
            services.AddChatPersistence().UseSupabase(o => { o.Url = server.Url; o.ServiceRoleKey = server.ServiceRoleKey; });
            var provider = disposables.Add(services.BuildServiceProvider());
            target = provider.GetRequiredService<IChatSessionStore>();
            Console.WriteLine("Supabase store (service mode) through the PostgREST test server, loopback");
        }

        break;
    default:
        Console.Error.WriteLine("--store sqlite|postgres|supabase");
        return 2;
}

var sessions = new List<(string User, Guid Session)>();
for (var u = 0; u < users; u++)
{
    var user = await newUser();
    for (var w = 0; w < workflows; w++)
    {
        sessions.Add((user, (await target.GetOrCreateSessionAsync(user, $"workflow-{w}")).Id));
    }
}

Console.WriteLine($"{users} users x {workflows} workflows = {sessions.Count} concurrent writers, {seconds} s, on {Environment.ProcessorCount} cores");
var appendLatencies = new ConcurrentBag<double>();
var pageLatencies = new ConcurrentBag<double>();
var acknowledged = new ConcurrentDictionary<Guid, List<Guid>>();
var errors = 0;
using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
var clock = Stopwatch.StartNew();
await Task.WhenAll(sessions.Select(s => Task.Run(async () =>
{
    var mine = acknowledged.GetOrAdd(s.Session, _ => []);
    var i = 0;
    while (!stop.IsCancellationRequested)
    {
        var message = (i % 2 == 0 ? NewChatMessage.User($"question {i}") : NewChatMessage.Assistant($"answer {i} with a bit more text, as replies are longer"));
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                // Retried with the same message (same id) until acknowledged, as a host should: appends are idempotent.
                await target.AppendMessagesAsync(s.User, s.Session, [message]);
                mine.Add(message.Id);
                appendLatencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                break;
            }
            catch (ChatPersistenceException ex) when (ex.IsTransient)
            {
                Interlocked.Increment(ref errors);
            }
        }

        if (++i % 5 == 0)
        {
            started = Stopwatch.GetTimestamp();
            await target.GetMessagesAsync(s.User, s.Session, new ChatHistoryRequest { PageSize = 50 });
            pageLatencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
    }
})));
var elapsed = clock.Elapsed.TotalSeconds;

Console.WriteLine($"appends: {appendLatencies.Count:N0} in {elapsed:F1} s = {appendLatencies.Count / elapsed:N0}/s; p50 {Percentile(appendLatencies, 50):F2} ms, p99 {Percentile(appendLatencies, 99):F2} ms");
Console.WriteLine($"newest-page reads: {pageLatencies.Count:N0} = {pageLatencies.Count / elapsed:N0}/s; p50 {Percentile(pageLatencies, 50):F2} ms, p99 {Percentile(pageLatencies, 99):F2} ms");
Console.WriteLine($"transient errors: {errors}");

// Verification: every acknowledged message present exactly once, in acknowledgement order, and nothing else.
var problems = 0;
foreach (var (user, session) in sessions)
{
    var stored = new List<Guid>();
    await foreach (var m in target.StreamMessagesAsync(user, session))
    {
        stored.Add(m.Id);
    }

    if (!stored.SequenceEqual(acknowledged[session]))
    {
        problems++;
        Console.WriteLine($"MISMATCH in session {session}: {stored.Count} stored, {acknowledged[session].Count} acknowledged");
    }
}

Console.WriteLine(problems == 0
    ? $"verification: OK — {acknowledged.Values.Sum(v => v.Count):N0} acknowledged messages, each stored exactly once, in order, in {sessions.Count} sessions"
    : $"verification: FAILED in {problems} session(s)");
return problems == 0 ? 0 : 1;

string Argument(string name, string fallback)
{
    var index = Array.IndexOf(args, name);
    return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
}

static double Percentile(IEnumerable<double> values, double percentile)
{
    var sorted = values.Order().ToArray();
    return sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(percentile / 100 * sorted.Length) - 1)];
}
