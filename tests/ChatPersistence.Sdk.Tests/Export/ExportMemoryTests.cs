using Xunit;

namespace ChatPersistence.Sdk.Tests.Export;

/// <summary>
/// Runs the export tests alone, after the parallel ones: the bounded-memory test reads the process's live heap, which other
/// test classes allocating at the same time (a 1 MB streaming reply, say) would inflate.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ExportMemoryTests
{
    /// <summary>The collection's name.</summary>
    public const string Name = "export memory";
}
