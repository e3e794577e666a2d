using Xunit.Abstractions;

namespace ChatPersistence.Sdk.Mcp.Tests;

/// <summary>The chat server over streamable HTTP on PostgreSQL.</summary>
public sealed class HttpPostgresToolTests(HttpPostgresFixture fixture, ITestOutputHelper output) : ToolSuite<HttpPostgresFixture>(fixture, output);
