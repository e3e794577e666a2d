namespace ChatPersistence.Sdk.AI.Tests;

/// <summary>A store as the SQL stores are until they keep replies in progress: <see cref="ChatStoreCapabilities.None"/>.</summary>
internal sealed class NoRepliesStore(IChatSessionStore inner) : DelegatingChatSessionStore(inner)
{
    public override ChatStoreCapabilities Capabilities => ChatStoreCapabilities.None;
}
