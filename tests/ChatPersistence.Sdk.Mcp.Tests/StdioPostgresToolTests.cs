using Xunit.Abstractions;

namespace ChatPersistence.Sdk.Mcp.Tests;

/// <summary>The console sample over stdio on PostgreSQL.</summary>
public sealed class StdioPostgresToolTests(StdioPostgresFixture fixture, ITestOutputHelper output) : ToolSuite<StdioPostgresFixture>(fixture, output);
