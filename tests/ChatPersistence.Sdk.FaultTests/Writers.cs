using System.Collections.Concurrent;

namespace ChatPersistence.Sdk.FaultTests;

/// <summary>
/// Writers that append one message at a time, as a host would, retrying a transient failure with the same message (same
/// id) until it is acknowledged. Records what was acknowledged and how many transient errors were seen.
/// </summary>
public sealed class Writers
{
    private int _transient;

    public ConcurrentDictionary<Guid, List<Guid>> Acknowledged { get; } = new();

    public ConcurrentQueue<Exception> TransientErrors { get; } = new();

    public int TransientCount => _transient;

    public async Task RunAsync(IChatSessionStore store, string userId, Guid sessionId, Func<bool> keepGoing, int minimum, CancellationToken cancellationToken)
    {
        var acknowledged = Acknowledged.GetOrAdd(sessionId, _ => []);
        for (var i = 0; keepGoing() || i < minimum; i++)
        {
            var message = NewChatMessage.User($"message {i} of {sessionId:N}");
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    await store.AppendMessagesAsync(userId, sessionId, [message], cancellationToken);
                    acknowledged.Add(message.Id);
                    break;
                }
                catch (ChatPersistenceException ex) when (ex.IsTransient)
                {
                    Interlocked.Increment(ref _transient);
                    TransientErrors.Enqueue(ex);
                    await Task.Delay(50, cancellationToken);
                }
            }
        }
    }
}
