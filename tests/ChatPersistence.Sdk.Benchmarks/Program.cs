using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// dotnet run -c Release --project tests/ChatPersistence.Sdk.Benchmarks -- --filter '*'          (the docs table, ~15 min)
// dotnet run -c Release --project tests/ChatPersistence.Sdk.Benchmarks -- --filter '*' --smoke  (each benchmark once)
var smoke = args.Contains("--smoke");
var job = (smoke ? Job.Dry : Job.Default.WithWarmupCount(3).WithIterationCount(12).WithLaunchCount(1))
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
    .WithOptions(ConfigOptions.JoinSummary | ConfigOptions.DisableLogFile);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args.Where(a => a != "--smoke").ToArray(), config);
