using Xunit;

namespace ChatPersistence.Sdk.Export.Pdf.Tests;

/// <summary>Tests that must not run in parallel with others (memory measurement).</summary>
[CollectionDefinition(nameof(SerialPdfTests), DisableParallelization = true)]
public sealed class SerialPdfTests;
