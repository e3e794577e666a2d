using System.Text.Json;
using Microsoft.Agents.AI;
using Microsoft.Extensions.AI;

namespace ChatPersistence.Sdk.AI;

/// <summary>Options of <see cref="PersistentChatHistoryProvider"/>.</summary>
public sealed class PersistentChatHistoryProviderOptions
{
    /// <summary>
    /// Chooses the conversation of a session the first time the provider sees it (a session not bound with
    /// <see cref="PersistentChatHistoryProvider.SetConversation"/>). <see langword="null"/> (default): such a session is an error.
    /// </summary>
    public Func<AgentSession?, ChatConversationKey>? ConversationInitializer { get; set; }

    /// <summary>The key of the provider's state in <see cref="AgentSession.StateBag"/>. Default <see cref="PersistentChatHistoryProvider.DefaultStateKey"/>.</summary>
    public string? StateKey { get; set; }

    /// <summary>How many stored messages, at most, are provided to a run (the newest ones). Default 100.</summary>
    public int MaxHistoryMessages { get; set; } = PersistentChatClientOptions.DefaultMaxHistoryMessages;

    /// <summary>An optional budget for the provided history in characters of text plus serialised contents (the <c>meai</c> metadata); <see langword="null"/> (default) sets none.</summary>
    public int? MaxHistoryCharacters { get; set; }

    /// <summary>
    /// How many bytes of binary data one message may store inline; beyond it data contents are stored as placeholders (see
    /// <see cref="PersistentChatClientOptions.MaxInlineDataBytes"/>). Default <see cref="PersistentChatClientOptions.DefaultMaxInlineDataBytes"/>.
    /// </summary>
    public int MaxInlineDataBytes { get; set; } = PersistentChatClientOptions.DefaultMaxInlineDataBytes;

    /// <summary>
    /// An optional reducer applied to the stored history before it is provided to a run (e.g. <c>MessageCountingChatReducer</c> or
    /// <c>SummarizingChatReducer</c>): it shrinks what the model receives and never deletes what is stored. <see langword="null"/> (default)
    /// provides the history window unchanged.
    /// </summary>
    public IChatReducer? ChatReducer { get; set; }

    /// <summary>The options that serialise messages into metadata; <see langword="null"/> uses <see cref="AIJsonUtilities.DefaultOptions"/>.</summary>
    public JsonSerializerOptions? SerializerOptions { get; set; }

    /// <summary>Filters the stored messages before they are provided to a run; <see langword="null"/> keeps them all.</summary>
    public Func<IEnumerable<ChatMessage>, IEnumerable<ChatMessage>>? ProvideOutputMessageFilter { get; set; }

    /// <summary>Filters a run's request messages before they are stored; <see langword="null"/> stores all but those that came from the history.</summary>
    public Func<IEnumerable<ChatMessage>, IEnumerable<ChatMessage>>? StoreInputRequestMessageFilter { get; set; }

    /// <summary>Filters a run's response messages before they are stored; <see langword="null"/> stores them all.</summary>
    public Func<IEnumerable<ChatMessage>, IEnumerable<ChatMessage>>? StoreInputResponseMessageFilter { get; set; }
}
