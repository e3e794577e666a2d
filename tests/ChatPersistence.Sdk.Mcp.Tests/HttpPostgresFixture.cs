namespace ChatPersistence.Sdk.Mcp.Tests;

public sealed class HttpPostgresFixture : McpFixture
{
    protected override async Task<StoreBackend> CreateBackendAsync() => await PostgresBackend.CreateAsync();

    protected override async Task<McpHost> CreateHostAsync(StoreBackend backend) => await HttpHost.StartAsync(backend);
}
