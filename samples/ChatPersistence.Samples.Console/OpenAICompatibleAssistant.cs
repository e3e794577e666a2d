using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace ChatPersistence.Samples.Console;

/// <summary>
/// A minimal <see cref="IChatClient"/> for any OpenAI-compatible chat-completions endpoint (OpenAI, Azure OpenAI's v1 API,
/// Ollama at <c>http://localhost:11434/v1</c>, LM Studio, vLLM…). Non-streaming; enough for the sample.
/// </summary>
internal sealed class OpenAICompatibleAssistant(HttpClient http, Uri endpoint, string model, string? apiKey) : IChatClient
{
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var body = new JsonObject
        {
            ["model"] = model,
            ["messages"] = new JsonArray(messages.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role.Value, ["content"] = m.Text }).ToArray()),
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(endpoint.ToString().TrimEnd('/') + "/chat/completions")) { Content = JsonContent.Create(body) };
        if (!string.IsNullOrEmpty(apiKey))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        }

        using var response = await http.SendAsync(request, cancellationToken);
        var json = await response.Content.ReadFromJsonAsync<JsonObject>(cancellationToken)
            ?? throw new InvalidOperationException("The assistant endpoint returned no JSON.");
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"The assistant endpoint answered {(int)response.StatusCode}: {json["error"]?["message"] ?? json.ToJsonString()}");
        }

        var text = json["choices"]?[0]?["message"]?["content"]?.GetValue<string>() ?? string.Empty;
        var usage = json["usage"];
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            ModelId = json["model"]?.GetValue<string>() ?? model,
            Usage = usage is null ? null : new UsageDetails
            {
                InputTokenCount = usage["prompt_tokens"]?.GetValue<long>(),
                OutputTokenCount = usage["completion_tokens"]?.GetValue<long>(),
                TotalTokenCount = usage["total_tokens"]?.GetValue<long>(),
            },
        };
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

    public void Dispose() => http.Dispose();
}
