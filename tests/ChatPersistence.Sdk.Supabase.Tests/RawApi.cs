using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace ChatPersistence.Sdk.Supabase.Tests;

/// <summary>Raw HTTP requests to the test server, written from PostgREST's and Supabase's docs (no store involved).</summary>
public static class RawApi
{
    public static async Task<(int Status, string Body, HttpResponseMessage Response)> SendAsync(
        SupabaseEnvironment env, HttpMethod method, string pathAndQuery, string? apiKey, string? bearer, string? json, string contentType = "application/json", IDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, new Uri(env.Server.Url, pathAndQuery));
        if (apiKey is not null)
        {
            request.Headers.Add("apikey", apiKey);
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        var response = await env.Http.SendAsync(request);
        return ((int)response.StatusCode, await response.Content.ReadAsStringAsync(), response);
    }

    public static Task<(int Status, string Body, HttpResponseMessage Response)> RpcAsync(SupabaseEnvironment env, string function, string? bearer, JsonObject arguments, string? apiKey = null) =>
        SendAsync(env, HttpMethod.Post, "/rest/v1/rpc/" + function, apiKey ?? env.Server.AnonKey, bearer, arguments.ToJsonString());

    public static JsonObject Error(string body) => JsonNode.Parse(body)!.AsObject();
}
