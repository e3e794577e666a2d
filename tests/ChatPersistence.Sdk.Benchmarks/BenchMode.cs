namespace ChatPersistence.Sdk.Benchmarks;

/// <summary>How this run was asked to go: smoke mode runs every benchmark once, on small data, to prove they all work.</summary>
public static class BenchMode
{
    /// <summary>True for <c>--smoke</c> (CI): one pass per benchmark, the 1k-message history only, pgbench for one second.</summary>
    public static bool Smoke { get; set; }
}
