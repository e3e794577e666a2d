using ModelContextProtocol.Client;

namespace ChatPersistence.Sdk.Mcp.Tests;

/// <summary>An MCP server over a store, reached with the MCP SDK's own client: the console sample over stdio or the chat server over HTTP.</summary>
public abstract class McpHost : IAsyncDisposable
{
    private readonly Dictionary<string, McpClient> _clients = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _gate = new(1, 1);

    public abstract string Transport { get; }

    /// <summary>A connected client acting as <paramref name="userId"/> (cached: one per user).</summary>
    public async Task<McpClient> ClientAsync(string userId)
    {
        await _gate.WaitAsync();
        try
        {
            if (!_clients.TryGetValue(userId, out var client))
            {
                client = await McpClient.CreateAsync(CreateTransport(userId), new McpClientOptions { ClientInfo = new() { Name = "chat-mcp-tests", Version = "1.0.0" } });
                _clients[userId] = client;
            }

            return client;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A transport that signs in as <paramref name="userId"/>.</summary>
    protected abstract IClientTransport CreateTransport(string userId);

    public virtual async ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Values)
        {
            await client.DisposeAsync();
        }

        _gate.Dispose();
        GC.SuppressFinalize(this);
    }
}
