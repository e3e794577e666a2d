using ModelContextProtocol;

namespace ChatPersistence.Sdk.Mcp.Internal;

/// <summary>
/// Turns what a model can fix (a bad cursor, an empty query, an unknown message) into an <see cref="McpException"/>, whose message
/// the SDK sends back as the tool's error result. Other failures keep the SDK's generic error, which leaks nothing.
/// </summary>
internal static class ToolErrors
{
    public static async Task<T> RunAsync<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (McpException)
        {
            throw;
        }
        catch (ArgumentException ex)
        {
            var message = ex.ParamName is { } name ? ex.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal) : ex.Message;
            throw new McpException($"Invalid argument: {message}", ex);
        }
        catch (ChatNotFoundException ex)
        {
            throw new McpException("Not found in this user's chat history.", ex);
        }
        catch (NotSupportedException ex)
        {
            throw new McpException("This chat history store does not support that (for example, it keeps no message versions).", ex);
        }
        catch (ChatAccessDeniedException ex)
        {
            throw new McpException("Access denied.", ex);
        }
        catch (ChatPersistenceException ex) when (ex.IsTransient)
        {
            throw new McpException("The chat history store is temporarily unavailable; try the same call again.", ex);
        }
    }
}
