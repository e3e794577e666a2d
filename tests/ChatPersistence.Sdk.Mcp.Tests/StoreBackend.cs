using ChatPersistence.Sdk.Postgres;
using ChatPersistence.Sdk.PostgresTesting;
using ChatPersistence.Sdk.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ChatPersistence.Sdk.Mcp.Tests;

/// <summary>Where the history lives: a SQLite file or a database on the throwaway PostgreSQL cluster.</summary>
public abstract class StoreBackend : IAsyncDisposable
{
    /// <summary>The store the tests seed and check with (the same data the MCP server reads).</summary>
    public abstract IChatSessionStore Store { get; }

    /// <summary>Settings that point the console sample or the chat server at this store (configuration keys).</summary>
    public abstract IReadOnlyDictionary<string, string> Settings { get; }

    /// <summary>A new user id (a UUID: PostgreSQL needs it in auth.users, the chat server needs a UUID subject).</summary>
    public virtual Task<string> CreateUserAsync() => Task.FromResult(Guid.NewGuid().ToString());

    public abstract ValueTask DisposeAsync();
}
