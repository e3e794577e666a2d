using ChatPersistence.Sdk;
using ChatPersistence.Sdk.Mcp;
using ChatPersistence.Sdk.Mcp.Internal;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the chat history tools of ChatPersistence.Sdk to an MCP server.</summary>
public static class ChatHistoryMcpServerBuilderExtensions
{
    /// <summary>
    /// Registers the read-only chat history tools, backed by the <see cref="IChatSessionStore"/> registered with
    /// <c>services.AddChatPersistence().Use…()</c>: <c>search_chat_history</c>, <c>get_chat_messages</c>, <c>list_workflows</c>,
    /// <c>list_favorite_messages</c> and <c>get_message_versions</c> (see <see cref="ChatHistoryToolNames"/>; the last one needs a
    /// store that keeps branches, <see cref="ChatStoreCapabilities.Branches"/>, and answers an error result on others). Each call acts for the request's authenticated user
    /// or, without one (stdio), for <see cref="ChatHistoryToolsOptions.UserId"/>; reading never creates a session.
    /// </summary>
    /// <param name="builder">The MCP server builder (<c>services.AddMcpServer()</c>).</param>
    /// <param name="configure">Configures the options; <see langword="null"/> keeps the defaults.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    /// <remarks>Invalid options fail when the host starts (<see cref="OptionsValidationException"/>).</remarks>
    public static IMcpServerBuilder WithChatHistoryTools(this IMcpServerBuilder builder, Action<ChatHistoryToolsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        AddOptions(builder, configure);
        return builder.WithTools<ChatHistoryTools>(ToolJson.Options);
    }

    /// <summary>
    /// Registers the one writing tool, <c>set_favorite</c> (<see cref="ChatHistoryToolNames.SetFavorite"/>), which stars or unstars
    /// one of the user's messages. Off unless called: hosts that only let agents read history leave it out.
    /// </summary>
    /// <param name="builder">The MCP server builder.</param>
    /// <param name="configure">Configures the options (shared with <see cref="WithChatHistoryTools"/>); <see langword="null"/> keeps them.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is <see langword="null"/>.</exception>
    public static IMcpServerBuilder WithChatHistoryFavoriteTool(this IMcpServerBuilder builder, Action<ChatHistoryToolsOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        AddOptions(builder, configure);
        return builder.WithTools<ChatFavoriteTool>(ToolJson.Options);
    }

    private static void AddOptions(IMcpServerBuilder builder, Action<ChatHistoryToolsOptions>? configure)
    {
        var services = builder.Services;
        if (!services.Any(d => d.ServiceType == typeof(IValidateOptions<ChatHistoryToolsOptions>) && d.ImplementationType == typeof(ChatHistoryToolsOptionsValidator)))
        {
            // Once, however many of the With… calls are made (the validator below marks it): argument checks, and expected tool
            // errors answered as short results.
            builder.WithRequestFilters(filters => filters.AddCallToolFilter(ToolCallGuard.Filter));
        }

        var options = services.AddOptions<ChatHistoryToolsOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ChatHistoryToolsOptions>, ChatHistoryToolsOptionsValidator>());
    }
}
