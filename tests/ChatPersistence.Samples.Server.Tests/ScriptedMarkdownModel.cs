using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// A model for the Markdown browser test: it streams a fixed Markdown answer in small chunks, and stops in the middle of its
/// code block (the fence not closed yet) until the test calls <see cref="Release"/> — so the test sees the reply mid-stream.
/// </summary>
internal sealed class ScriptedMarkdownModel : IChatClient
{
    public const string Code = "var total = items.Sum(i => i.Price);\nif (total < 0) { throw new InvalidOperationException(\"<b>negative</b>\"); }";

    public const string BeforeThePause = "Here is the plan:\n\n- first **step**\n- second step\n  1. nested detail\n\n```csharp\nvar total = items.Sum(i => i.Price);\n";

    public const string AfterThePause =
        "if (total < 0) { throw new InvalidOperationException(\"<b>negative</b>\"); }\n```\n\n" +
        "Raw HTML stays text: <script>window.markdownHacked = true</script> <img src=x onerror=\"window.markdownHacked = true\"> " +
        "and [a bad link](javascript:window.markdownHacked=true) and [the docs](https://example.com/docs).\n\n" +
        "| Step | Cost |\n|:-----|-----:|\n| plan | 1 |\n| build | 20 |";

    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Release() => _release.TrySetResult();

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
        foreach (var chunk in Chunks(BeforeThePause))
        {
            await Task.Delay(5, cancellationToken);
            yield return new ChatResponseUpdate(ChatRole.Assistant, chunk) { ModelId = "scripted-markdown" };
        }

        await _release.Task.WaitAsync(cancellationToken);
        foreach (var chunk in Chunks(AfterThePause))
        {
            await Task.Delay(5, cancellationToken);
            yield return new ChatResponseUpdate(ChatRole.Assistant, chunk) { ModelId = "scripted-markdown" };
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private static IEnumerable<string> Chunks(string text)
    {
        for (var i = 0; i < text.Length; i += 7)
        {
            yield return text.Substring(i, Math.Min(7, text.Length - i));
        }
    }
}
