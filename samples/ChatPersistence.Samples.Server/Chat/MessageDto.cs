using System.Text.Json;
using ChatPersistence.Sdk;

namespace ChatPersistence.Samples.Server.Chat;

/// <summary>
/// A stored message as the protocol and the HTTP API send it. <c>status</c>: <c>complete</c>, <c>streaming</c> (a reply being
/// written: its content is the text stored so far), <c>stopped</c> or <c>interrupted</c>; <c>reason</c> (camelCase, null when
/// none) and <c>reasonDetail</c> say why; <c>leaseExpiresAt</c>, while streaming, is when the reply reads as interrupted unless
/// its writer makes progress (a client re-reads it then).
/// </summary>
public sealed record MessageDto(Guid Id, long Sequence, string Role, string Content, JsonElement Metadata, DateTimeOffset CreatedAt, bool IsFavorite,
    string Status, string? Reason, string? ReasonDetail, DateTimeOffset? LeaseExpiresAt)
{
    public static MessageDto From(StoredChatMessage m) =>
        new(m.Id, m.Sequence, m.Role.ToString().ToLowerInvariant(), m.Content, m.Metadata, m.CreatedAt, m.IsFavorite,
            StatusName(m.Status), ReasonName(m.Reason), m.ReasonDetail, m.Status == ChatReplyStatus.Streaming ? m.LeaseExpiresAt : null);

    /// <summary>The protocol's name of a status: complete, streaming, stopped, interrupted.</summary>
    public static string StatusName(ChatReplyStatus status) => status.ToString().ToLowerInvariant();

    /// <summary>The protocol's name of a reason (camelCase: stopRequested, callerStopped, failed, leaseExpired, tooLarge), or null for none.</summary>
    public static string? ReasonName(ChatReplyReason reason) =>
        reason == ChatReplyReason.None ? null : JsonNamingPolicy.CamelCase.ConvertName(reason.ToString());
}
