using Xunit.Abstractions;

namespace ChatPersistence.Sdk.Mcp.Tests;

/// <summary>The console sample over stdio on a SQLite file.</summary>
public sealed class StdioSqliteToolTests(StdioSqliteFixture fixture, ITestOutputHelper output) : ToolSuite<StdioSqliteFixture>(fixture, output);
