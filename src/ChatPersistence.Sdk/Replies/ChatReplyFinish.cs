using System.Text.Json;

namespace ChatPersistence.Sdk;

/// <summary>How a reply ends (<see cref="IChatSessionStore.FinishReplyAsync"/>): its final status, and the last text not flushed yet.</summary>
public sealed record ChatReplyFinish
{
    /// <summary>The final status: <see cref="ChatReplyStatus.Complete"/>, <see cref="ChatReplyStatus.Stopped"/> or <see cref="ChatReplyStatus.Interrupted"/>.</summary>
    public required ChatReplyStatus Status { get; init; }

    /// <summary>Why: <see cref="ChatReplyReason.None"/> exactly when <see cref="Status"/> is <see cref="ChatReplyStatus.Complete"/>.</summary>
    public ChatReplyReason Reason { get; init; }

    /// <summary>A short human-readable detail (e.g. the model's error), at most <see cref="ChatPersistenceLimits.MaxReasonDetailLength"/> characters; only with a reason.</summary>
    public string? ReasonDetail { get; init; }

    /// <summary>Where <see cref="Text"/> goes, in UTF-16 code units (checked only when <see cref="Text"/> is not empty).</summary>
    public long Offset { get; init; }

    /// <summary>The last text, stored with the end in the same round trip; may be empty.</summary>
    public string Text { get; init; } = "";

    /// <summary>The final metadata, replacing the one given at begin; <see langword="null"/> keeps it.</summary>
    public JsonElement? Metadata { get; init; }
}
