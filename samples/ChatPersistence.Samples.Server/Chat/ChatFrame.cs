namespace ChatPersistence.Samples.Server.Chat;

/// <summary>
/// A frame from the client, as the protocol defines it: <c>{"type":"send","id":"&lt;uuid&gt;","content":"…","parentId":"&lt;optional&gt;"}</c>,
/// <c>{"type":"stop","messageId":"&lt;reply id&gt;"}</c>, <c>{"type":"retry","id":"&lt;new reply id&gt;","messageId":"&lt;stopped or interrupted reply&gt;"}</c>
/// <c>{"type":"edit","id":"&lt;new version id&gt;","content":"…","versionOf":"&lt;user message&gt;"}</c>,
/// <c>{"type":"regenerate","id":"&lt;new reply id&gt;","questionId":"&lt;user message&gt;"}</c>,
/// <c>{"type":"switch","messageId":"&lt;any version&gt;","index":&lt;0-based version&gt;}</c> or <c>{"type":"ping"}</c>.
/// </summary>
/// <param name="Type">The frame type.</param>
/// <param name="Id">The client-generated message id (send), or the new reply's id (retry).</param>
/// <param name="Content">The message text (send).</param>
/// <param name="MessageId">The reply to stop (stop) or to answer again (retry); the message to switch to, or whose version to switch to (switch).</param>
/// <param name="VersionOf">The user message a new version is written for (edit).</param>
/// <param name="QuestionId">The user message to answer again (regenerate).</param>
/// <param name="Index">The 0-based version among the versions of <paramref name="MessageId"/> to switch to (switch; omitted: that message itself).</param>
/// <param name="ParentId">The last message the tab shows, which the sent message follows (send; omitted: the active path's end).</param>
internal sealed record ChatFrame(string? Type, string? Id, string? Content, string? MessageId, string? VersionOf = null, string? QuestionId = null, int? Index = null, string? ParentId = null);
