using System.Diagnostics;
using System.Globalization;
using System.Text;
using ChatPersistence.Sdk.Postgres;
using ChatPersistence.Sdk.PostgresTesting;
using Npgsql;

namespace ChatPersistence.Sdk.Benchmarks;

/// <summary>
/// Issue 27, server side (pgbench/branches.sh and pgbench/migration.sh): on one throwaway cluster, a database at schema 3
/// (today) and one at schema 4 (the tree), the same linear sessions of 1k, 100k and 1M messages in both and, in schema 4,
/// branched sessions of the same sizes (<see cref="BranchSeed"/>, checked through the store); then the backend CPU time per
/// call of the newest page, the deep page, switches and appends, interleaved; then the migration 3 → 4 applied to the
/// schema-3 database (1M messages) under a reader and a writer, with its locks sampled.
/// </summary>
public static class BranchServerSide
{
    private static readonly Guid User = Guid.Parse("22222222-2222-2222-2222-222222222222");

    /// <summary>Runs both scripts; returns non-zero on any failure.</summary>
    public static async Task<int> RunAsync(bool smoke)
    {
        var cluster = await PostgresCluster.GetAsync();
        if (!cluster.IsThrowaway)
        {
            Console.Error.WriteLine("branches: the server-side figures read the postmaster's CPU time: they need the throwaway cluster (unset CHATPERSISTENCE_TEST_POSTGRES).");
            return 1;
        }

        await using (var root = NpgsqlDataSource.Create(cluster.ConnectionString()))
        {
            await ExecuteAsync(root, "alter system set autovacuum = off");
            await ExecuteAsync(root, "select pg_reload_conf()");
        }

        var db4 = await cluster.CreateDatabaseAsync();
        var db3 = await cluster.CreateSupabaseLikeDatabaseAsync();
        await using (var owner3 = NpgsqlDataSource.Create(cluster.OwnerConnectionString(db3)))
        {
            foreach (var migration in ChatPersistenceMigrations.All.Where(m => m.Version <= 3))
            {
                await ExecuteAsync(owner3, migration.Sql);
            }
        }

        int[] sizes = smoke ? [1_000] : [1_000, 100_000, 1_000_000];
        var scale = smoke ? 0.01 : 1.0;
        var scenarios = new StringBuilder();
        var ratios = new StringBuilder();
        void Scenario(string name, string db, int calls, int perCall, string script, params (string Name, object Value)[] vars) =>
            scenarios.AppendLine(CultureInfo.InvariantCulture, $"{name} {db} {Math.Max(5, (int)(calls * scale))} {perCall} {script} -D u={User} {string.Join(' ', vars.Select(v => $"-D {v.Name}={v.Value}"))}");

        Guid linear3 = default, branchedLargest = default;
        long first3 = 0;
        BranchedSession largest = null!;
        await using (var admin3 = NpgsqlDataSource.Create(cluster.ConnectionString(db3)))
        await using (var admin4 = NpgsqlDataSource.Create(cluster.ConnectionString(db4)))
        await using (var store = new PostgresChatSessionStore(cluster.ConnectionString(db4)))
        {
            await ExecuteAsync(admin3, $"insert into auth.users (id) values ('{User}')");
            await ExecuteAsync(admin4, $"insert into auth.users (id) values ('{User}')");
            foreach (var size in sizes)
            {
                var label = Label(size);
                var watch = Stopwatch.StartNew();
                var lin3 = await SessionAsync(admin3, "linear " + label);
                await BenchEnvironment.SeedAsync(admin3, User, lin3, size);
                var lin4 = await SessionAsync(admin4, "linear " + label);
                await BenchEnvironment.SeedAsync(admin4, User, lin4, size);
                var branched = await BranchSeed.SeedAsync(admin4, User, await SessionAsync(admin4, "branched " + label), size);
                await BranchSeed.ValidateAsync(store, User, branched);
                Console.WriteLine($"branches: seeded and checked {label} (linear at schema 3 and 4, branched: {branched.BranchPoints} branch points, " +
                    $"{branched.BranchPoints + 1} runs, a path of {branched.PathLength} messages) in {watch.Elapsed.TotalSeconds:F0} s");
                Scenario($"page3_{label}", db3, 3000, 1, "page.sql", ("s", lin3));
                Scenario($"page4lin_{label}", db4, 3000, 1, "page.sql", ("s", lin4));
                Scenario($"page4br_{label}", db4, 3000, 1, "page.sql", ("s", branched.SessionId));
                ratios.AppendLine(CultureInfo.InvariantCulture, $"newest_page_{label}:_schema_4_branched_/_schema_3_linear_(today) page4br_{label} page3_{label}");
                ratios.AppendLine(CultureInfo.InvariantCulture, $"newest_page_{label}:_schema_4_branched_/_schema_4_linear page4br_{label} page4lin_{label}");
                ratios.AppendLine(CultureInfo.InvariantCulture, $"newest_page_{label}:_schema_4_linear_/_schema_3_linear page4lin_{label} page3_{label}");
                (linear3, branchedLargest, largest) = (lin3, branched.SessionId, branched);
                first3 = await ScalarAsync<long>(admin3, $"select min(seq) from public.chat_messages where session_id = '{lin3}'");
            }

            var top = Label(sizes[^1]);
            Scenario("deep3", db3, 3000, 1, "page_at.sql", ("s", linear3), ("b", first3 + (sizes[^1] / 2)));
            Scenario("deep4br", db4, 3000, 1, "page_at.sql", ("s", branchedLargest), ("b", largest.MiddleSequence));
            ratios.AppendLine(CultureInfo.InvariantCulture, $"deep_page_(middle_of_the_{top}_path)_/_newest,_schema_4_branched deep4br page4br_{top}");
            ratios.AppendLine(CultureInfo.InvariantCulture, $"deep_page_/_newest,_schema_3_linear_(today) deep3 page3_{top}");
            var last = largest.Fork(largest.BranchPoints);
            var middle = largest.Fork(Math.Max(1, largest.BranchPoints / 2));
            var firstFork = largest.Fork(1);
            Scenario("switch_last_fork", db4, 1000, 2, "switch_pair.sql", ("s", branchedLargest), ("a", last.Old), ("b", last.New));
            Scenario("switch_middle_fork", db4, 500, 2, "switch_pair.sql", ("s", branchedLargest), ("a", middle.Old), ("b", middle.New));
            Scenario("switch_first_fork", db4, 200, 2, "switch_pair.sql", ("s", branchedLargest), ("a", firstFork.Old), ("b", firstFork.New));

            var appendSize = smoke ? 1_000 : 10_000;
            var app3 = await SessionAsync(admin3, "append");
            await BenchEnvironment.SeedAsync(admin3, User, app3, appendSize);
            var app4 = await SessionAsync(admin4, "append");
            await BenchEnvironment.SeedAsync(admin4, User, app4, appendSize);
            var appBranched = await BranchSeed.SeedAsync(admin4, User, await SessionAsync(admin4, "append branched"), appendSize);
            await BranchSeed.ValidateAsync(store, User, appBranched);
            Scenario("append3", db3, 2000, 1, "append.sql", ("a", app3));
            Scenario("append4lin", db4, 2000, 1, "append.sql", ("a", app4));
            Scenario("append4br", db4, 2000, 1, "append.sql", ("a", appBranched.SessionId));
            ratios.AppendLine("append:_schema_4_branched_/_schema_3_linear_(today) append4br append3");
            ratios.AppendLine("append:_schema_4_branched_/_schema_4_linear append4br append4lin");
            ratios.AppendLine("append:_schema_4_linear_/_schema_3_linear append4lin append3");
        }

        NpgsqlConnection.ClearAllPools();
        var folder = Directory.CreateTempSubdirectory("chat-branches-bench-");
        try
        {
            var scenarioFile = Path.Combine(folder.FullName, "scenarios.txt");
            var ratioFile = Path.Combine(folder.FullName, "ratios.txt");
            await File.WriteAllTextAsync(scenarioFile, scenarios.ToString());
            await File.WriteAllTextAsync(ratioFile, ratios.ToString());
            var postmaster = (await File.ReadAllLinesAsync(Path.Combine(cluster.DataDirectory!, "postmaster.pid")))[0];
            var environment = new Dictionary<string, string>
            {
                ["PGHOST"] = "127.0.0.1",
                ["PGPORT"] = cluster.Port.ToString(CultureInfo.InvariantCulture),
                ["PGUSER"] = PostgresCluster.OwnerRole,
                ["PGPASSWORD"] = PostgresCluster.OwnerRole,
                ["POSTMASTER"] = postmaster,
                ["SCENARIOS"] = scenarioFile,
                ["RATIOS"] = ratioFile,
            };
            // Rounds: 5 (CHATPERSISTENCE_BENCH_ROUNDS overrides it); one in smoke mode.
            var rounds = smoke ? "1" : Environment.GetEnvironmentVariable("CHATPERSISTENCE_BENCH_ROUNDS") ?? "5";
            var status = await RunScriptAsync("branches.sh", environment, rounds);
            if (status != 0)
            {
                return status;
            }

            var migrationFile = Path.Combine(folder.FullName, "migration.sql");
            await File.WriteAllTextAsync(migrationFile, ChatPersistenceMigrations.All.Single(m => m.Version == 4).Sql);
            await using (var admin3 = NpgsqlDataSource.Create(cluster.ConnectionString(db3)))
            {
                var app3 = await ScalarAsync<Guid>(admin3, "select id from public.chat_sessions where workflow_id = 'append'");
                environment["DB"] = db3;
                environment["OWNER"] = PostgresCluster.OwnerRole;
                environment["SUPERUSER"] = PostgresCluster.SuperuserRole;
                environment["MIGRATION"] = migrationFile;
                environment["READ_SESSION"] = linear3.ToString();
                environment["APPEND_SESSION"] = app3.ToString();
                environment["USER_ID"] = User.ToString();
                environment["OUT"] = Path.Combine(folder.FullName, "migration");
                environment["DURATION"] = smoke ? "6" : "12";
                Console.WriteLine($"branches: the migration 3 → 4 on a database of {await ScalarAsync<long>(admin3, "select count(*) from public.chat_messages")} messages " +
                    $"({await ScalarAsync<string>(admin3, "select pg_size_pretty(pg_total_relation_size('public.chat_messages'))")} with indexes)");
            }

            NpgsqlConnection.ClearAllPools();
            return await RunScriptAsync("migration.sh", environment);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private static string Label(int size) => size >= 1_000_000 ? $"{size / 1_000_000}M" : $"{size / 1_000}k";

    private static async Task<Guid> SessionAsync(NpgsqlDataSource admin, string workflow)
    {
        var id = Guid.NewGuid();
        await ExecuteAsync(admin, $"insert into public.chat_sessions (id, user_id, workflow_id) values ('{id}', '{User}', '{workflow}')");
        return id;
    }

    private static async Task ExecuteAsync(NpgsqlDataSource source, string sql)
    {
        await using var command = source.CreateCommand(sql);
        command.CommandTimeout = 1_800;
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource source, string sql)
    {
        await using var command = source.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    private static async Task<int> RunScriptAsync(string script, IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "pgbench", script));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash could not be started.");
        await process.WaitForExitAsync();
        return process.ExitCode;
    }
}
