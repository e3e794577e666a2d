namespace ChatPersistence.Samples.Server.Chat;

/// <summary>
/// A frame from the client, as the protocol defines it: <c>{"type":"send","id":"&lt;uuid&gt;","content":"…"}</c>,
/// <c>{"type":"stop","messageId":"&lt;reply id&gt;"}</c>, <c>{"type":"retry","id":"&lt;new reply id&gt;","messageId":"&lt;stopped or interrupted reply&gt;"}</c>
/// or <c>{"type":"ping"}</c>.
/// </summary>
/// <param name="Type">The frame type.</param>
/// <param name="Id">The client-generated message id (send), or the new reply's id (retry).</param>
/// <param name="Content">The message text (send).</param>
/// <param name="MessageId">The reply to stop (stop) or to answer again (retry).</param>
internal sealed record ChatFrame(string? Type, string? Id, string? Content, string? MessageId);
