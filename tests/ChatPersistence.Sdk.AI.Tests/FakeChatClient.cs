using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.AI.Tests;

/// <summary>
/// A deterministic model: replies "reply N: &lt;last user text&gt;" with usage (input = messages received, output = words of the
/// reply), records every request, and can be told to fail.
/// </summary>
internal sealed class FakeChatClient : IChatClient
{
    private int _calls;

    public List<List<ChatMessage>> Requests { get; } = [];

    public List<ChatOptions?> Options { get; } = [];

    /// <summary>Every streaming update produced, in order (the very objects yielded).</summary>
    public List<ChatResponseUpdate> Yielded { get; } = [];

    /// <summary>When set, every response message carries this (non-GUID) provider message id.</summary>
    public string? FixedMessageId { get; set; }

    /// <summary>When set, answers instead of the default reply: call number (from 1) and the messages received → the response.</summary>
    public Func<int, IReadOnlyList<ChatMessage>, ChatResponse>? Script { get; set; }

    /// <summary>Throw this instead of answering (before any update when streaming).</summary>
    public Exception? FailWith { get; set; }

    /// <summary>When streaming, throw <see cref="FailWith"/> after this many updates.</summary>
    public int? FailAfterUpdates { get; set; }

    public static string ReplyText(int call, string userText) => $"reply {call}: {userText}";

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var (call, text, received) = Record(messages, options);
        if (FailWith is not null)
        {
            throw FailWith;
        }

        if (Script is not null)
        {
            return Task.FromResult(Script(call, Requests[call - 1]));
        }

        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, text) { AuthorName = "fake", MessageId = FixedMessageId })
        {
            ModelId = "fake-model",
            ResponseId = $"resp-{call}",
            FinishReason = ChatFinishReason.Stop,
            Usage = Usage(received, text),
        };
        return Task.FromResult(response);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var (call, text, received) = Record(messages, options);
        if (FailWith is not null && FailAfterUpdates is null)
        {
            throw FailWith;
        }

        var words = text.Split(' ');
        for (var i = 0; i < words.Length; i++)
        {
            if (FailAfterUpdates == i)
            {
                throw FailWith ?? new InvalidOperationException("stream broke");
            }

            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            var update = new ChatResponseUpdate(ChatRole.Assistant, i == 0 ? words[i] : " " + words[i])
            {
                MessageId = $"msg-{call}",
                ResponseId = $"resp-{call}",
                ModelId = "fake-model",
            };
            Yielded.Add(update);
            yield return update;
        }

        var last = new ChatResponseUpdate
        {
            Role = ChatRole.Assistant,
            MessageId = $"msg-{call}",
            ResponseId = $"resp-{call}",
            FinishReason = ChatFinishReason.Stop,
            Contents = [new UsageContent(Usage(received, text))],
        };
        Yielded.Add(last);
        yield return last;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private static UsageDetails Usage(int received, string text) => new()
    {
        InputTokenCount = received,
        OutputTokenCount = text.Split(' ').Length,
        TotalTokenCount = received + text.Split(' ').Length,
    };

    private (int Call, string Text, int Received) Record(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var list = messages.Select(m => m.Clone()).ToList();
        lock (Requests)
        {
            Requests.Add(list);
            Options.Add(options);
        }

        var call = Interlocked.Increment(ref _calls);
        var lastUser = list.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
        return (call, ReplyText(call, lastUser), list.Count);
    }
}
