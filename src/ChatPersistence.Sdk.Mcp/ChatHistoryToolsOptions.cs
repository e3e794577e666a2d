using System.Security.Claims;

namespace ChatPersistence.Sdk.Mcp;

/// <summary>Options of the chat history MCP tools registered by <c>WithChatHistoryTools()</c>.</summary>
/// <remarks>
/// <para>
/// <b>Whose history.</b> A request that carries a principal (the HTTP transport of <c>ModelContextProtocol.AspNetCore</c>
/// always sets one) acts for the value of its <see cref="UserIdClaimType"/> claim and is refused when the principal is not
/// authenticated or lacks the claim. A request without a principal (the stdio transport) acts for <see cref="UserId"/>, and is
/// refused when it is not set. A tool argument never names the user.
/// </para>
/// <para>Validated when the host starts (<c>ValidateOnStart</c>); read on every call, not copied.</para>
/// </remarks>
public sealed class ChatHistoryToolsOptions
{
    /// <summary>The default <see cref="MaxResultCharacters"/>: 16,000 characters (about 4,000 tokens of English).</summary>
    public const int DefaultMaxResultCharacters = 16_000;

    /// <summary>The default <see cref="MaxMessageCharacters"/>: 2,000 characters.</summary>
    public const int DefaultMaxMessageCharacters = 2_000;

    /// <summary>The smallest accepted <see cref="MaxResultCharacters"/>.</summary>
    public const int MinResultCharacters = 4_000;

    /// <summary>The largest accepted <see cref="MaxResultCharacters"/>.</summary>
    public const int MaxResultCharactersCeiling = 1_000_000;

    /// <summary>The smallest accepted <see cref="MaxMessageCharacters"/>.</summary>
    public const int MinMessageCharacters = 100;

    /// <summary>
    /// Room a result keeps for everything but one message's text (field names, ids, a workflow id, a title, a cursor):
    /// <see cref="MaxMessageCharacters"/> may be at most <see cref="MaxResultCharacters"/> minus this, divided by 3 (a model
    /// receives the text and the structuredContent), so one message always fits.
    /// </summary>
    public const int ResultEnvelopeReserve = 3_000;

    /// <summary>
    /// The user of a single-user host (a stdio server started by one person's MCP client): requests without a principal act for
    /// this user. <see langword="null"/> (default): such requests are refused. Requests that carry a principal never use it.
    /// </summary>
    public string? UserId { get; set; }

    /// <summary>The claim of an authenticated principal that holds the user id. Default <c>sub</c> (the JWT subject, as Supabase Auth issues it).</summary>
    public string UserIdClaimType { get; set; } = "sub";

    /// <summary>
    /// Maps an authenticated principal to the user id, for hosts that derive it in their own way (a normalised UUID, a claim of
    /// their own). When set it replaces <see cref="UserIdClaimType"/>; returning <see langword="null"/> or an empty string refuses
    /// the request. Called only for authenticated principals; must be thread-safe.
    /// </summary>
    public Func<ClaimsPrincipal, string?>? UserIdFromPrincipal { get; set; }

    /// <summary>
    /// The most characters one tool result may have as a model receives it through the official C# client's <c>McpClientTool</c>
    /// (M.E.AI, Agent Framework): the whole result, its text and its <c>structuredContent</c>, as the chat client serialises it
    /// (indented JSON) — about twice and a half the text alone, so the text of a full page is about 40% of this. Pages are cut short
    /// to fit (with a cursor for the rest), so no call floods a context window. Default <see cref="DefaultMaxResultCharacters"/>;
    /// between <see cref="MinResultCharacters"/> and <see cref="MaxResultCharactersCeiling"/>.
    /// </summary>
    public int MaxResultCharacters { get; set; } = DefaultMaxResultCharacters;

    /// <summary>
    /// The most characters of one message's text in a result (as JSON-escaped); longer texts are cut and marked <c>truncated</c>.
    /// Default <see cref="DefaultMaxMessageCharacters"/>; at least <see cref="MinMessageCharacters"/> and at most
    /// (<see cref="MaxResultCharacters"/> minus <see cref="ResultEnvelopeReserve"/>) divided by 3, so one message always fits as a
    /// model receives it (default: up to 4,333).
    /// </summary>
    public int MaxMessageCharacters { get; set; } = DefaultMaxMessageCharacters;
}
