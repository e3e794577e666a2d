using System.Text.Json.Nodes;

namespace ChatPersistence.Sdk.PostgrestTesting.Internal;

/// <summary>A verified token's claims, or PostgREST's error code and message for a refused one.</summary>
internal sealed record JwtResult(JsonObject? Claims, string? Code, string? Message)
{
    public static JwtResult Fail(string code, string message) => new(null, code, message);
}
