using System.Text.Json;
using ChatPersistence.Sdk;

namespace ChatPersistence.Samples.Server.Chat;

/// <summary>
/// A stored message as the protocol and the HTTP API send it. <c>status</c>: <c>complete</c>, <c>streaming</c> (a reply being
/// written: its content is the text stored so far), <c>stopped</c> or <c>interrupted</c>; <c>reason</c> (camelCase, null when
/// none) and <c>reasonDetail</c> say why; <c>leaseExpiresAt</c>, while streaming, is when the reply reads as interrupted unless
/// its writer makes progress (a client re-reads it then). <c>parentId</c>: the message it follows in the conversation tree
/// (null for the first); the versions of a message share its parent (issue 27: edit and regenerate).
/// </summary>
public sealed record MessageDto(Guid Id, long Sequence, string Role, string Content, JsonElement Metadata, DateTimeOffset CreatedAt, bool IsFavorite,
    string Status, string? Reason, string? ReasonDetail, DateTimeOffset? LeaseExpiresAt, Guid? ParentId)
{
    public static MessageDto From(StoredChatMessage m) =>
        new(m.Id, m.Sequence, m.Role.ToString().ToLowerInvariant(), m.Content, m.Metadata, m.CreatedAt, m.IsFavorite,
            StatusName(m.Status), ReasonName(m.Reason), m.ReasonDetail, m.Status == ChatReplyStatus.Streaming ? m.LeaseExpiresAt : null, m.ParentId);

    /// <summary>The positions "‹ index + 1 / count ›" of a page's messages that have other versions (the protocol's <c>siblings</c>).</summary>
    public static IEnumerable<SiblingDto> Siblings(ChatMessagePage page) => page.Siblings.Select(s => new SiblingDto(s.MessageId, s.Index, s.Count));

    /// <summary>The protocol's name of a status: complete, streaming, stopped, interrupted.</summary>
    public static string StatusName(ChatReplyStatus status) => status.ToString().ToLowerInvariant();

    /// <summary>The protocol's name of a reason (camelCase: stopRequested, callerStopped, failed, leaseExpired, tooLarge), or null for none.</summary>
    public static string? ReasonName(ChatReplyReason reason) =>
        reason == ChatReplyReason.None ? null : JsonNamingPolicy.CamelCase.ConvertName(reason.ToString());
}
