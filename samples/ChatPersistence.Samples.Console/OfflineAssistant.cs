using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace ChatPersistence.Samples.Console;

/// <summary>
/// A small, deterministic, offline assistant (no network, no model): it answers from the conversation it is given,
/// which shows that the stored history really reaches the assistant. Clearly labelled in every reply.
/// </summary>
internal sealed class OfflineAssistant : IChatClient
{
    public const string ModelName = "offline-demo-assistant";

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        var users = list.Where(m => m.Role == ChatRole.User).ToList();
        var last = users.LastOrDefault()?.Text ?? string.Empty;
        var reply = users.Count <= 1
            ? $"[offline assistant] Hello! You said \"{Trim(last)}\". The history I was given holds no earlier message of yours in this workflow."
            : $"[offline assistant] You said \"{Trim(last)}\". The history I was given holds {users.Count - 1} earlier message(s) of yours here; the earliest is \"{Trim(users[0].Text)}\".";
        var input = list.Sum(m => Tokens(m.Text));
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, reply))
        {
            ModelId = ModelName,
            Usage = new UsageDetails { InputTokenCount = input, OutputTokenCount = Tokens(reply), TotalTokenCount = input + Tokens(reply) },
        };
        return Task.FromResult(response);
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    private static long Tokens(string text) => string.IsNullOrWhiteSpace(text) ? 0 : text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    private static string Trim(string text) => text.Length <= 60 ? text : text[..57] + "...";
}
