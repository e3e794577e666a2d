using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace ChatPersistence.Sdk.AI.Tests;

/// <summary>A host: its own service provider over a durable store that outlives it.</summary>
internal static class TestHost
{
    public static ServiceProvider Start(Func<IServiceProvider, IChatSessionStore> durableStore, FakeChatClient model, Action<PersistentChatClientOptions>? configure = null) =>
        Start(persistence => persistence.UseStore(durableStore), model, configure);

    public static ServiceProvider Start(Action<ChatPersistenceBuilder> chooseStore, FakeChatClient model, Action<PersistentChatClientOptions>? configure = null)
    {
        var services = new ServiceCollection();
        var persistence = services.AddChatPersistence();
        chooseStore(persistence);
        persistence.AddAgentChatHistory();
        services.AddChatClient(model).UseChatPersistence(configure: configure);
        return services.BuildServiceProvider();
    }

    public static ChatOptions Conversation(string userId, string workflowId) => new ChatOptions().WithChatConversation(userId, workflowId);
}
