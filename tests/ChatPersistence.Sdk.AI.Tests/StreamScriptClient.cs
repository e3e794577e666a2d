using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.AI.Tests;

/// <summary>A model that streams given updates, then optionally waits (until cancelled) or throws.</summary>
internal sealed class StreamScriptClient(IReadOnlyList<ChatResponseUpdate> updates) : IChatClient
{
    /// <summary>After the updates, wait until the call is cancelled instead of ending the stream.</summary>
    public bool HangAfterUpdates { get; init; }

    /// <summary>After the updates, throw this instead of ending the stream.</summary>
    public Exception? ThrowAfterUpdates { get; init; }

    /// <summary>Completed when the updates have all been yielded.</summary>
    public TaskCompletionSource Yielded { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public List<List<ChatMessage>> Requests { get; } = [];

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Requests.Add([.. messages]);
        foreach (var update in updates)
        {
            await Task.Yield();
            yield return update;
        }

        Yielded.TrySetResult();
        if (ThrowAfterUpdates is not null)
        {
            throw ThrowAfterUpdates;
        }

        if (HangAfterUpdates)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
