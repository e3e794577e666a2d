namespace ChatPersistence.Sdk.Mcp.Tests;

public sealed class HttpSqliteFixture : McpFixture
{
    protected override Task<StoreBackend> CreateBackendAsync() => Task.FromResult<StoreBackend>(new SqliteBackend());

    protected override async Task<McpHost> CreateHostAsync(StoreBackend backend) => await HttpHost.StartAsync(backend);
}
