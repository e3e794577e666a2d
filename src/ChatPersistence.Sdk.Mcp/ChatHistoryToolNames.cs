namespace ChatPersistence.Sdk.Mcp;

/// <summary>The names of the chat history MCP tools, as clients and models see them.</summary>
public static class ChatHistoryToolNames
{
    /// <summary>Full-text search in the user's chat history, across workflows or in one.</summary>
    public const string SearchChatHistory = "search_chat_history";

    /// <summary>A page of one workflow's chat, oldest first, read backwards from the newest with a cursor.</summary>
    public const string GetChatMessages = "get_chat_messages";

    /// <summary>The user's workflows that have a chat, most recently active first.</summary>
    public const string ListWorkflows = "list_workflows";

    /// <summary>The user's favourite (starred) messages, newest first.</summary>
    public const string ListFavoriteMessages = "list_favorite_messages";

    /// <summary>The versions of one message (edited questions, regenerated answers), oldest first, with the start of each text and which one is shown.</summary>
    public const string GetMessageVersions = "get_message_versions";

    /// <summary>Marks or unmarks a message as a favourite; registered only by <c>WithChatHistoryFavoriteTool()</c>.</summary>
    public const string SetFavorite = "set_favorite";
}
