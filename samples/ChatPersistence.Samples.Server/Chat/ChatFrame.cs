namespace ChatPersistence.Samples.Server.Chat;

/// <summary>A frame from the client, as the protocol defines it: <c>{"type":"send","id":"&lt;uuid&gt;","content":"…"}</c> or <c>{"type":"ping"}</c>.</summary>
/// <param name="Type">The frame type.</param>
/// <param name="Id">The client-generated message id (send).</param>
/// <param name="Content">The message text (send).</param>
internal sealed record ChatFrame(string? Type, string? Id, string? Content);
