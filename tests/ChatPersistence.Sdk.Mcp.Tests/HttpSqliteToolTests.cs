using Xunit.Abstractions;

namespace ChatPersistence.Sdk.Mcp.Tests;

/// <summary>The chat server over streamable HTTP on a SQLite file.</summary>
public sealed class HttpSqliteToolTests(HttpSqliteFixture fixture, ITestOutputHelper output) : ToolSuite<HttpSqliteFixture>(fixture, output);
