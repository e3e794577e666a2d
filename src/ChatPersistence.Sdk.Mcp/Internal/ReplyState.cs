namespace ChatPersistence.Sdk.Mcp.Internal;

/// <summary>
/// The status fields of a message item (<c>status</c>, <c>reason</c>, <c>reasonDetail</c>), written only for a message that is
/// not complete. They are paid for from the message's own text budget (<see cref="ChatHistoryToolsOptions.MaxMessageCharacters"/>),
/// so an item is never larger than before and the result bounds hold unchanged.
/// </summary>
internal readonly record struct ReplyState(string? Status, string? Reason, string? ReasonDetail, int TextRoom)
{
    /// <summary>The most characters of a reason detail (as JSON), and at most a quarter of the message budget.</summary>
    public const int MaxDetailCharacters = 200;

    /// <summary>The status fields of <paramref name="message"/> and what remains of <paramref name="maxMessageCharacters"/> for its text.</summary>
    public static ReplyState Of(StoredChatMessage message, int maxMessageCharacters)
    {
        if (message.Status == ChatReplyStatus.Complete)
        {
            return new ReplyState(null, null, null, maxMessageCharacters);
        }

        var status = message.Status.ToJsonName();
        var reason = message.Reason == ChatReplyReason.None ? null : message.Reason.ToJsonName();
        var detail = string.IsNullOrEmpty(message.ReasonDetail)
            ? null
            : TextBudget.Cut(message.ReasonDetail, Math.Min(MaxDetailCharacters, maxMessageCharacters / 4), out _);

        // Each field costs its name, its JSON value and the punctuation around it: `,"status":"…"`.
        var cost = Cost("status", status) + Cost("reason", reason) + Cost("reasonDetail", detail);
        return new ReplyState(status, reason, detail, maxMessageCharacters - cost);
    }

    private static int Cost(string name, string? value) => value is null ? 0 : name.Length + 4 + ToolJson.EncodedLength(value);
}
