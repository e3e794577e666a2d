using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace ChatPersistence.Samples.Server.Chat;

/// <summary>
/// The server's default assistant: deterministic, offline, clearly labelled. It streams its reply word by word (so the
/// page shows streaming) and answers from the history it is given, which shows the stored context reaches the model.
/// </summary>
internal sealed class StreamingOfflineAssistant(TimeSpan delayPerWord) : IChatClient
{
    public const string ModelName = "offline-streaming-assistant";

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in GetStreamingResponseAsync(messages, options, cancellationToken))
        {
            updates.Add(update);
        }

        return updates.ToChatResponse();
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        var questions = list.Where(m => m.Role == ChatRole.User).Select(m => m.Text).ToList();
        var last = questions.LastOrDefault() ?? string.Empty;
        var reply = questions.Count <= 1
            ? $"(offline assistant) You wrote: “{Short(last)}”. The history I was given holds no earlier message of yours in this workflow."
            : $"(offline assistant) You wrote: “{Short(last)}”. The history I was given holds {questions.Count - 1} earlier message(s) from you; the earliest is “{Short(questions[0])}”.";
        var words = reply.Split(' ');
        for (var i = 0; i < words.Length; i++)
        {
            if (delayPerWord > TimeSpan.Zero)
            {
                await Task.Delay(delayPerWord, cancellationToken);
            }

            yield return new ChatResponseUpdate(ChatRole.Assistant, (i == 0 ? string.Empty : " ") + words[i]) { ModelId = ModelName };
        }

        var input = list.Sum(m => Count(m.Text));
        yield return new ChatResponseUpdate
        {
            Role = ChatRole.Assistant,
            ModelId = ModelName,
            Contents = [new UsageContent(new UsageDetails { InputTokenCount = input, OutputTokenCount = words.Length, TotalTokenCount = input + words.Length })],
        };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private static int Count(string text) => text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;

    private static string Short(string text) => text.Length <= 80 ? text : text[..77] + "...";
}
