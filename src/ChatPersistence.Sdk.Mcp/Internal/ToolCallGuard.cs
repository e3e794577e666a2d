using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace ChatPersistence.Sdk.Mcp.Internal;

/// <summary>
/// The call-tool filter of the chat history tools (the SDK's <c>CallToolFilters</c>; other tools of the host pass through
/// untouched). Before the call: arguments of the wrong JSON type or a missing required one are answered with a tool error that
/// names the argument and what it expects (<see cref="ToolArguments"/>). After: an error the model can act on (an
/// <see cref="McpException"/> from <see cref="ToolErrors"/>: unknown workflow, bad cursor, empty query) becomes the tool error
/// result itself, logged as one line at Debug — an expected outcome, not a server error with a stack trace. Anything else keeps
/// the SDK's handling (logged as an error, answered with its generic message).
/// </summary>
internal static partial class ToolCallGuard
{
    private static readonly HashSet<string> Tools = new(StringComparer.Ordinal)
    {
        ChatHistoryToolNames.SearchChatHistory, ChatHistoryToolNames.GetChatMessages, ChatHistoryToolNames.ListWorkflows,
        ChatHistoryToolNames.ListFavoriteMessages, ChatHistoryToolNames.SetFavorite, ChatHistoryToolNames.GetMessageVersions,
    };

    public static McpRequestHandler<CallToolRequestParams, CallToolResult> Filter(McpRequestHandler<CallToolRequestParams, CallToolResult> next) =>
        async (request, cancellationToken) =>
        {
            if (request.MatchedPrimitive is not McpServerTool tool || !Tools.Contains(tool.ProtocolTool.Name))
            {
                return await next(request, cancellationToken).ConfigureAwait(false);
            }

            var name = tool.ProtocolTool.Name;
            if (ToolArguments.Problem(tool.ProtocolTool.InputSchema, request.Params?.Arguments) is { } problem)
            {
                if (Logger(request) is { } logger && logger.IsEnabled(LogLevel.Debug))
                {
                    ArgumentsRefused(logger, name, problem);
                }

                return Error(problem);
            }

            try
            {
                return await next(request, cancellationToken).ConfigureAwait(false);
            }
            catch (McpException ex) when (ex is not McpProtocolException)
            {
                if (Logger(request) is { } logger && logger.IsEnabled(LogLevel.Debug))
                {
                    var cause = ex.InnerException is { } inner ? inner.GetType().Name : nameof(McpException);
                    CallRefused(logger, name, cause, ex.Message);
                }

                return Error(ex.Message);
            }
        };

    private static CallToolResult Error(string message) => new() { IsError = true, Content = [new TextContentBlock { Text = message }] };

    private static ILogger Logger(RequestContext<CallToolRequestParams> request) =>
        request.Services?.GetService<ILoggerFactory>()?.CreateLogger("ChatPersistence.Sdk.Mcp.Tools") ?? NullLogger.Instance;

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "{Tool}: arguments refused: {Problem}")]
    private static partial void ArgumentsRefused(ILogger logger, string tool, string problem);

    [LoggerMessage(EventId = 2, Level = LogLevel.Debug, Message = "{Tool}: call refused ({Cause}): {Reason}")]
    private static partial void CallRefused(ILogger logger, string tool, string cause, string reason);
}
