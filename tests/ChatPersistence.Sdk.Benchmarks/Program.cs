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
// --reply-wal: only the WAL budget of a streaming reply (ReplyWalBenchmark; also part of --sql).
BenchMode.Smoke = args.Contains("--smoke");
if (args.Contains("--reply-wal"))
{
    return await ReplyWalBenchmark.RunAsync(BenchMode.Smoke);
}

var sql = args.Contains("--sql");
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
var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args.Where(a => a is not ("--smoke" or "--sql")).ToArray(), config);
var failed = summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success));
if (failed)
{
    Console.Error.WriteLine("benchmarks: a benchmark failed (see above).");
    return 1;
}

return sql ? await SqlBenchmarks.RunAsync(BenchMode.Smoke) : 0;
