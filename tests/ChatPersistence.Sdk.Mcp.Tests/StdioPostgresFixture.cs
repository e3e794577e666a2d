namespace ChatPersistence.Sdk.Mcp.Tests;

public sealed class StdioPostgresFixture : McpFixture
{
    protected override async Task<StoreBackend> CreateBackendAsync() => await PostgresBackend.CreateAsync();

    protected override Task<McpHost> CreateHostAsync(StoreBackend backend) => Task.FromResult<McpHost>(new StdioHost(backend));
}
