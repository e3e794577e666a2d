namespace ChatPersistence.Sdk.Mcp.Tests;

public sealed class StdioSqliteFixture : McpFixture
{
    protected override Task<StoreBackend> CreateBackendAsync() => Task.FromResult<StoreBackend>(new SqliteBackend());

    protected override Task<McpHost> CreateHostAsync(StoreBackend backend) => Task.FromResult<McpHost>(new StdioHost(backend));
}
