using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace ChatPersistence.Sdk.Decorators.Tests;

/// <summary>Counts the calls that reach the real store beneath the decorators (not a mock: every call goes through).</summary>
public sealed class CountingStore(IChatSessionStore inner) : DelegatingChatSessionStore(inner)
{
    public ConcurrentDictionary<string, int> Calls { get; } = new();

    public int this[string operation] => Calls.GetValueOrDefault(operation);

    public override Task<ChatSession> GetOrCreateSessionAsync(string userId, string workflowId, string? title = null, CancellationToken cancellationToken = default) =>
        Count(base.GetOrCreateSessionAsync(userId, workflowId, title, cancellationToken));

    public override Task<ChatSession?> GetSessionAsync(string userId, Guid sessionId, CancellationToken cancellationToken = default) =>
        Count(base.GetSessionAsync(userId, sessionId, cancellationToken));

    public override Task<ChatMessagePage> GetMessagesAsync(string userId, Guid sessionId, ChatHistoryRequest? request = null, CancellationToken cancellationToken = default) =>
        Count(base.GetMessagesAsync(userId, sessionId, request, cancellationToken));

    public override Task<IReadOnlyList<StoredChatMessage>> AppendMessagesAsync(string userId, Guid sessionId, IReadOnlyList<NewChatMessage> messages, CancellationToken cancellationToken = default) =>
        Count(base.AppendMessagesAsync(userId, sessionId, messages, cancellationToken));

    private Task<T> Count<T>(Task<T> task, [CallerMemberName] string operation = "")
    {
        Calls.AddOrUpdate(operation, 1, (_, n) => n + 1);
        return task;
    }
}
