using System.Diagnostics;
using ChatPersistence.Sdk.PostgresTesting;
using Npgsql;

namespace ChatPersistence.Sdk.Benchmarks;

/// <summary>
/// The server-side half of the figures: pgbench/run.sh (the SQL functions next to raw SQL, prepared, one client) on a
/// fresh database of the benchmark cluster, run by the migration's owner as on Supabase. Once without and once with the
/// change feed's append trigger, so the feed's share of an append is visible. Then the WAL budget of a streaming reply
/// (<see cref="ReplyWalBenchmark"/>), and issue 27's server-side figures (<see cref="BranchServerSide"/>).
/// </summary>
public static class SqlBenchmarks
{
    /// <summary>Seeds a database and runs the pgbench scenarios; returns the script's exit code (non-zero on any failure).</summary>
    public static async Task<int> RunAsync(bool smoke)
    {
        var cluster = await PostgresCluster.GetAsync();
        var database = await cluster.CreateDatabaseAsync();
        var connection = new NpgsqlConnectionStringBuilder(cluster.OwnerConnectionString(database));
        var script = Path.Combine(AppContext.BaseDirectory, "pgbench", "run.sh");
        var (reps, seconds) = smoke ? ("1", "1") : ("5", "3");
        var status = await RunScriptAsync(script, connection, ["--seed", "--without-feed", reps, seconds]);
        status = status != 0 ? status : await RunScriptAsync(script, connection, [reps, seconds]);
        status = status != 0 ? status : await ReplyWalBenchmark.RunAsync(smoke);
        return status != 0 ? status : await BranchServerSide.RunAsync(smoke);
    }

    private static async Task<int> RunScriptAsync(string script, NpgsqlConnectionStringBuilder connection, IEnumerable<string> arguments)
    {
        var start = new ProcessStartInfo("bash") { UseShellExecute = false };
        start.ArgumentList.Add(script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["PGHOST"] = connection.Host;
        start.Environment["PGPORT"] = connection.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["PGUSER"] = connection.Username;
        start.Environment["PGPASSWORD"] = connection.Password;
        start.Environment["PGDATABASE"] = connection.Database;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("bash could not be started.");
        await process.WaitForExitAsync();
        return process.ExitCode;
    }
}
