using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.Mcp.Tests;

/// <summary>
/// A model that follows a script: asked a question, it calls <c>search_chat_history</c>; given the tool's result, it answers with
/// what the result says and cites the message ids it found. No network, no randomness.
/// </summary>
internal sealed partial class ScriptedModel : IChatClient
{
    public int Calls { get; private set; }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Calls++;
        var list = messages.ToList();
        var result = list.SelectMany(m => m.Contents).OfType<FunctionResultContent>().LastOrDefault();
        if (result is null)
        {
            if (options?.Tools?.Any(t => t.Name == ChatHistoryToolNames.SearchChatHistory) != true)
            {
                throw new InvalidOperationException("The scripted model was not given search_chat_history.");
            }

            var call = new FunctionCallContent("call-1", ChatHistoryToolNames.SearchChatHistory, new Dictionary<string, object?> { ["query"] = "invoice" });
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, [call])) { ModelId = "scripted" });
        }

        var text = JsonSerializer.Serialize(result.Result);
        var answer = text.Contains("420 euros", StringComparison.Ordinal)
            ? $"You agreed the March invoice is 420 euros (sources: {string.Join(", ", Uuid().Matches(text).Select(m => m.Value).Distinct())})."
            : "I found nothing about it.";
        return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, answer)) { ModelId = "scripted" });
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex Uuid();
}
