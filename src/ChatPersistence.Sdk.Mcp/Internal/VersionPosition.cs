using System.ComponentModel;

namespace ChatPersistence.Sdk.Mcp.Internal;

/// <summary>Where a message stands among its versions (<c>versions</c> of a <c>get_chat_messages</c> item).</summary>
internal sealed class VersionPosition
{
    [Description("The 0-based position of this version, oldest first (0 = the original).")]
    public required int Index { get; init; }

    [Description("How many versions the message has (edited questions, regenerated answers); at least 2.")]
    public required int Count { get; init; }
}
