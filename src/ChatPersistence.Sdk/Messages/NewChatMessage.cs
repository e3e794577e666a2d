using System.Text.Json;

namespace ChatPersistence.Sdk;

/// <summary>
/// A message to append. The <see cref="Id"/> is generated on the client (a version 7 GUID by default), so a retried
/// append with the same id never stores the message twice.
/// </summary>
public sealed record NewChatMessage
{
    /// <summary>Creates a message with a new version 7 GUID as its id.</summary>
    /// <param name="role">The author role.</param>
    /// <param name="content">The text; may be empty only when <paramref name="metadata"/> is a non-empty object.</param>
    /// <param name="metadata">Optional metadata; must be a JSON object when given.</param>
    public NewChatMessage(ChatMessageRole role, string content, JsonElement? metadata = null)
    {
        Role = role;
        Content = content;
        Metadata = metadata;
    }

    /// <summary>The client-generated identifier. Defaults to <see cref="Guid.CreateVersion7()"/>; must not be <see cref="Guid.Empty"/>.</summary>
    public Guid Id { get; init; } = Guid.CreateVersion7();

    /// <summary>The <see cref="ParentId"/> that appends a message as a new root: another version of the session's first message.</summary>
    public static Guid RootParent => Guid.Empty;

    /// <summary>
    /// Where the message goes in the session's tree (stores with <see cref="ChatStoreCapabilities.Branches"/>).
    /// <see langword="null"/> (the default): it continues the active path, under the message before it in the same batch,
    /// or, for the first of the batch, under the session's active leaf. <see cref="RootParent"/>: a new root. Any other id:
    /// under that message, which must be stored in the same session or appear earlier in the same batch. The appended
    /// message becomes the session's active leaf; on a store without branches any value but <see langword="null"/> is
    /// refused with <see cref="NotSupportedException"/>.
    /// </summary>
    public Guid? ParentId { get; init; }

    /// <summary>The author role.</summary>
    public ChatMessageRole Role { get; init; }

    /// <summary>The text of the message.</summary>
    public string Content { get; init; }

    /// <summary>Optional metadata (attachments, tool calls, token usage…). Must be a JSON object; <see langword="null"/> stores <c>{}</c>.</summary>
    public JsonElement? Metadata { get; init; }

    /// <summary>
    /// Optional creation time, for imports. <see langword="null"/> (the default) uses the store's clock.
    /// Truncated to microseconds, the precision every store keeps.
    /// </summary>
    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>Creates a user message.</summary>
    /// <param name="content">The text.</param>
    /// <param name="metadata">Optional metadata object.</param>
    /// <returns>A new message with a version 7 GUID id.</returns>
    public static NewChatMessage User(string content, JsonElement? metadata = null) => new(ChatMessageRole.User, content, metadata);

    /// <summary>Creates an assistant message.</summary>
    /// <param name="content">The text.</param>
    /// <param name="metadata">Optional metadata object.</param>
    /// <returns>A new message with a version 7 GUID id.</returns>
    public static NewChatMessage Assistant(string content, JsonElement? metadata = null) => new(ChatMessageRole.Assistant, content, metadata);
}
