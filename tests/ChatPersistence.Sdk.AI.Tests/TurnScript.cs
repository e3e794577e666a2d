using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.AI.Tests;

/// <summary>
/// A scripted conversation: what the caller sends on each turn, how the model answers, and the tools. Each run asks for a new
/// instance, so message objects reused across turns are reused within one run only.
/// </summary>
internal sealed record TurnScript(IReadOnlyList<ChatMessage[]> Turns, Func<int, IReadOnlyList<ChatMessage>, ChatResponse> Model, IList<AITool>? Tools = null)
{
    /// <summary>The text of the tool result in <see cref="NulToolResult"/>: zip-file bytes read as text.</summary>
    public const string ZipText = "PK\u0003\u0004\u0014\0\0\0\u0008\0readme.txt\0\uFDD0end";

    public static TurnScript Create(string name) => name switch
    {
        "image" => Image(400 * 1024),
        "nul-tool-result" => NulToolResult(),
        "same-message-twice" => SameMessageTwice(),
        "repeated-provider-ids" => RepeatedProviderIds(),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    /// <summary>Case 1: a user message with a large image, then a follow-up that must see it again.</summary>
    public static TurnScript Image(int bytes)
    {
        var png = new byte[bytes];
        new Random(17).NextBytes(png);
        return new(
            [
                [new ChatMessage(ChatRole.User, [new TextContent("what is in this picture?"), new DataContent(png, "image/png") { Name = "cat.png" }])],
                [new ChatMessage(ChatRole.User, "thanks")],
            ],
            Answer);
    }

    /// <summary>Case 2: a tool whose result holds U+0000; the model calls it, then answers; a second turn replays it all.</summary>
    public static TurnScript NulToolResult() => new(
        [[new ChatMessage(ChatRole.User, "open the archive")], [new ChatMessage(ChatRole.User, "and now?")]],
        (call, received) => received[^1].Role == ChatRole.User && received[^1].Text == "open the archive"
            ? new ChatResponse(new ChatMessage(ChatRole.Assistant, [new FunctionCallContent("call-1", "readArchive")]))
            : Answer(call, received),
        [AIFunctionFactory.Create(() => ZipText, "readArchive")]);

    /// <summary>Case 3: one ChatMessage object sent on two turns (a reused "continue" prompt).</summary>
    public static TurnScript SameMessageTwice()
    {
        var again = new ChatMessage(ChatRole.User, "continue");
        return new([[new ChatMessage(ChatRole.User, "tell me a story")], [again], [again], [new ChatMessage(ChatRole.User, "the end")]], Answer);
    }

    /// <summary>Case 4: a model that numbers its replies per conversation and so repeats a non-GUID message id.</summary>
    public static TurnScript RepeatedProviderIds() => new(
        [[new ChatMessage(ChatRole.User, "one")], [new ChatMessage(ChatRole.User, "two")], [new ChatMessage(ChatRole.User, "three")]],
        (call, received) =>
        {
            var response = Answer(call, received);
            response.Messages[0].MessageId = "msg-1";
            return response;
        });

    private static ChatResponse Answer(int call, IReadOnlyList<ChatMessage> received) =>
        new(new ChatMessage(ChatRole.Assistant, $"answer {call} to {received.Count} messages: {received[^1].Text}"));
}
