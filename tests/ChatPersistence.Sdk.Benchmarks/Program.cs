using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using ChatPersistence.Sdk.Benchmarks;

// Every figure of docs/performance.md in one run (BenchmarkDotNet for the stores, then pgbench for the SQL functions):
//   dotnet run -c Release --project tests/ChatPersistence.Sdk.Benchmarks -- --filter '*' --sql
// --smoke: each benchmark once on small data, pgbench for a second (CI runs this); without --sql: BenchmarkDotNet only.
// --replies: the SQLite write amplification of a reply stored while it streams (SqliteReplyWrites), alone or after the
// benchmarks given by --filter; smoke runs measure it too (the 25 s stream only, about a second).
// --sqlite-branches: only the SQLite branch figures (smoke runs run it too, on 1k messages) (SqliteBranchBenchmarks): pages
// along the active path, a deep page, a switch and an append, linear vs branched at 1k/100k/1M messages (--branch-cache DIR
// keeps the seeded files).
// --branches: only issue 27's PostgreSQL server-side figures (BranchServerSide: pgbench CPU per call of pages, switches and
// appends on schema 4 next to schema 3, and the migration 3 → 4 on 1M messages under load; also part of --sql).
// --reply-wal: only the WAL budget of a streaming reply (ReplyWalBenchmark; also part of --sql).
// --search-percentiles [--search-cache DIR]: only p50/p99 of single SQLite searches at 100k and 1M messages, before and
// after the common-word change (SqliteSearchPercentiles); with --search-cache the seeded files are kept in DIR; smoke
// runs run it too (1k messages, three searches per row).
BenchMode.Smoke = args.Contains("--smoke");
if (args.Contains("--search-percentiles"))
{
    var cache = Array.IndexOf(args, "--search-cache");
    return await SqliteSearchPercentiles.RunAsync(BenchMode.Smoke, cache >= 0 && cache + 1 < args.Length ? args[cache + 1] : null);
}

if (args.Contains("--sqlite-branches"))
{
    var branchCache = Array.IndexOf(args, "--branch-cache");
    return await SqliteBranchBenchmarks.RunAsync(BenchMode.Smoke, branchCache >= 0 && branchCache + 1 < args.Length ? args[branchCache + 1] : null);
}

if (args.Contains("--branches"))
{
    return await BranchServerSide.RunAsync(BenchMode.Smoke);
}

if (args.Contains("--reply-wal"))
{
    return await ReplyWalBenchmark.RunAsync(BenchMode.Smoke);
}

var sql = args.Contains("--sql");
var replies = args.Contains("--replies");
var benchmarkArgs = args.Where(a => a is not ("--smoke" or "--sql" or "--replies")).ToArray();
if (replies && benchmarkArgs.Length == 0)
{
    return await SqliteReplyWrites.RunAsync(BenchMode.Smoke);
}

var job = (BenchMode.Smoke ? Job.Dry : Job.Default.WithWarmupCount(3).WithIterationCount(12).WithLaunchCount(1))
    .WithToolchain(InProcessEmitToolchain.Instance);
var config = ManualConfig.CreateEmpty()
    .AddJob(job)
    .AddDiagnoser(MemoryDiagnoser.Default)
    .AddColumnProvider(DefaultColumnProviders.Instance)
    .AddColumn(StatisticColumn.Median)
    .AddColumn(StatisticColumn.P95)
    .AddLogger(BenchmarkDotNet.Loggers.ConsoleLogger.Default)
    .AddExporter(BenchmarkDotNet.Exporters.MarkdownExporter.GitHub)
    .WithSummaryStyle(SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend))
    .WithOptions(ConfigOptions.JoinSummary | ConfigOptions.DisableLogFile | ConfigOptions.StopOnFirstError);
var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(benchmarkArgs, config);
var failed = summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success));
if (failed)
{
    Console.Error.WriteLine("benchmarks: a benchmark failed (see above).");
    return 1;
}

if ((replies || BenchMode.Smoke) && await SqliteReplyWrites.RunAsync(BenchMode.Smoke) != 0)
{
    return 1;
}

if (BenchMode.Smoke && await SqliteSearchPercentiles.RunAsync(smoke: true, cacheFolder: null) != 0)
{
    return 1;
}

if (BenchMode.Smoke && await SqliteBranchBenchmarks.RunAsync(smoke: true, cacheFolder: null) != 0)
{
    return 1;
}

return sql ? await SqlBenchmarks.RunAsync(BenchMode.Smoke) : 0;
