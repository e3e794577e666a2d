namespace ChatPersistence.Sdk;

/// <summary>Conversions between <see cref="ChatMessageRole"/> and its stored lower-case name.</summary>
public static class ChatMessageRoleExtensions
{
    /// <summary>Returns the stored name of the role: <c>user</c>, <c>assistant</c>, <c>system</c> or <c>tool</c>.</summary>
    /// <param name="role">The role.</param>
    /// <returns>The lower-case name used in every store and in exports.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="role"/> is not a defined value.</exception>
    public static string ToStorageName(this ChatMessageRole role) => role switch
    {
        ChatMessageRole.User => "user",
        ChatMessageRole.Assistant => "assistant",
        ChatMessageRole.System => "system",
        ChatMessageRole.Tool => "tool",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown chat message role."),
    };

    /// <summary>Parses a stored role name (<c>user</c>, <c>assistant</c>, <c>system</c>, <c>tool</c>; case-sensitive).</summary>
    /// <param name="name">The stored name.</param>
    /// <param name="role">The parsed role when the method returns <see langword="true"/>.</param>
    /// <returns><see langword="true"/> when <paramref name="name"/> is a known role name.</returns>
    public static bool TryParseStorageName(string? name, out ChatMessageRole role)
    {
        switch (name)
        {
            case "user": role = ChatMessageRole.User; return true;
            case "assistant": role = ChatMessageRole.Assistant; return true;
            case "system": role = ChatMessageRole.System; return true;
            case "tool": role = ChatMessageRole.Tool; return true;
            default: role = default; return false;
        }
    }
}
