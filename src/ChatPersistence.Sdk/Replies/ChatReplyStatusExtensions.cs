namespace ChatPersistence.Sdk;

/// <summary>
/// The names of <see cref="ChatReplyStatus"/> and <see cref="ChatReplyReason"/> in JSON (exports, MCP results: lower-case
/// snake_case words such as <c>interrupted</c>, <c>lease_expired</c>) and their description in words for people.
/// </summary>
public static class ChatReplyStatusExtensions
{
    /// <summary>Returns the JSON name of a status: <c>complete</c>, <c>streaming</c>, <c>stopped</c> or <c>interrupted</c>.</summary>
    /// <param name="status">The status.</param>
    /// <returns>The lower-case name.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="status"/> is not a defined value.</exception>
    public static string ToJsonName(this ChatReplyStatus status) => status switch
    {
        ChatReplyStatus.Complete => "complete",
        ChatReplyStatus.Streaming => "streaming",
        ChatReplyStatus.Stopped => "stopped",
        ChatReplyStatus.Interrupted => "interrupted",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown reply status."),
    };

    /// <summary>
    /// Returns the JSON name of a reason: <c>none</c>, <c>stop_requested</c>, <c>caller_stopped</c>, <c>failed</c>,
    /// <c>lease_expired</c> or <c>too_large</c>.
    /// </summary>
    /// <param name="reason">The reason.</param>
    /// <returns>The lower-case snake_case name.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reason"/> is not a defined value.</exception>
    public static string ToJsonName(this ChatReplyReason reason) => reason switch
    {
        ChatReplyReason.None => "none",
        ChatReplyReason.StopRequested => "stop_requested",
        ChatReplyReason.CallerStopped => "caller_stopped",
        ChatReplyReason.Failed => "failed",
        ChatReplyReason.LeaseExpired => "lease_expired",
        ChatReplyReason.TooLarge => "too_large",
        _ => throw new ArgumentOutOfRangeException(nameof(reason), reason, "Unknown reply reason."),
    };

    /// <summary>Parses a status's JSON name (case-sensitive), as <see cref="ToJsonName(ChatReplyStatus)"/> writes it.</summary>
    /// <param name="name">The name.</param>
    /// <param name="status">The parsed status when the method returns <see langword="true"/>.</param>
    /// <returns><see langword="true"/> when <paramref name="name"/> is a known status name.</returns>
    public static bool TryParseJsonName(string? name, out ChatReplyStatus status)
    {
        switch (name)
        {
            case "complete": status = ChatReplyStatus.Complete; return true;
            case "streaming": status = ChatReplyStatus.Streaming; return true;
            case "stopped": status = ChatReplyStatus.Stopped; return true;
            case "interrupted": status = ChatReplyStatus.Interrupted; return true;
            default: status = default; return false;
        }
    }

    /// <summary>Parses a reason's JSON name (case-sensitive), as <see cref="ToJsonName(ChatReplyReason)"/> writes it.</summary>
    /// <param name="name">The name.</param>
    /// <param name="reason">The parsed reason when the method returns <see langword="true"/>.</param>
    /// <returns><see langword="true"/> when <paramref name="name"/> is a known reason name.</returns>
    public static bool TryParseJsonName(string? name, out ChatReplyReason reason)
    {
        switch (name)
        {
            case "none": reason = ChatReplyReason.None; return true;
            case "stop_requested": reason = ChatReplyReason.StopRequested; return true;
            case "caller_stopped": reason = ChatReplyReason.CallerStopped; return true;
            case "failed": reason = ChatReplyReason.Failed; return true;
            case "lease_expired": reason = ChatReplyReason.LeaseExpired; return true;
            case "too_large": reason = ChatReplyReason.TooLarge; return true;
            default: reason = default; return false;
        }
    }

    /// <summary>
    /// Describes a reason in words for a person (English): "stop requested", "the caller stopped reading", "the model failed",
    /// "the writer stopped responding", "too large"; empty for <see cref="ChatReplyReason.None"/> and unknown values.
    /// </summary>
    /// <param name="reason">The reason.</param>
    /// <returns>A short lower-case phrase.</returns>
    public static string ToWords(this ChatReplyReason reason) => reason switch
    {
        ChatReplyReason.StopRequested => "stop requested",
        ChatReplyReason.CallerStopped => "the caller stopped reading",
        ChatReplyReason.Failed => "the model failed",
        ChatReplyReason.LeaseExpired => "the writer stopped responding",
        ChatReplyReason.TooLarge => "too large",
        _ => string.Empty,
    };

    /// <summary>
    /// The marker TXT, Markdown and PDF exports put after the text of a message that is not complete:
    /// <c>[stopped]</c>, <c>[interrupted: the model failed — &lt;detail&gt;]</c>, <c>[still being written]</c>; a reason
    /// detail, when there is one, follows an em dash (line breaks in it become spaces). <see langword="null"/> for a complete message.
    /// </summary>
    /// <param name="message">The message.</param>
    /// <returns>The marker, or <see langword="null"/> when the message is complete.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is <see langword="null"/>.</exception>
    public static string? ToStatusMarker(this StoredChatMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return StatusMarker(message, static detail => detail, "[", "]");
    }

    // The marker with the detail passed through `escape` (Markdown escapes it) and the given brackets.
    internal static string? StatusMarker(StoredChatMessage message, Func<string, string> escape, string open, string close)
    {
        var detail = string.IsNullOrWhiteSpace(message.ReasonDetail) ? string.Empty : " — " + escape(message.ReasonDetail.ReplaceLineEndings(" ").Trim());
        return message.Status switch
        {
            ChatReplyStatus.Complete => null,
            ChatReplyStatus.Streaming => open + "still being written" + close,
            ChatReplyStatus.Stopped => open + "stopped" + detail + close,
            _ => open + "interrupted" + (message.Reason.ToWords() is { Length: > 0 } words ? ": " + words : string.Empty) + detail + close,
        };
    }
}
