using ChatPersistence.Sdk;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace ChatPersistence.Samples.Server.Api;

/// <summary>Turns the SDK's typed errors into RFC 9457 Problem Details with the matching status code.</summary>
/// <remarks>
/// A request Kestrel refuses while the endpoint reads it (<see cref="BadHttpRequestException"/>: a body over
/// <c>Limits:MaxRequestBodyBytes</c> is 413) keeps its status code, whichever endpoint read the body (/api binds it, /mcp reads
/// it itself), and is logged as one line without a stack trace: a client's mistake, not a server error.
/// </remarks>
internal sealed class ChatExceptionHandler(IProblemDetailsService problems, ILogger<ChatExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title) = exception switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => (StatusCodes.Status413PayloadTooLarge, "Request body too large"),
            BadHttpRequestException { StatusCode: >= 400 and < 500 } bad => (bad.StatusCode, "Bad request"),
            ArgumentException => (StatusCodes.Status400BadRequest, "Invalid request"),
            ExportTooLargeException => (StatusCodes.Status422UnprocessableEntity, "Export too large"),
            TimeoutException => (StatusCodes.Status503ServiceUnavailable, "Export timed out"),
            ChatNotFoundException => (StatusCodes.Status404NotFound, "Not found"),
            ChatConflictException => (StatusCodes.Status409Conflict, "Conflict"),
            ChatAccessDeniedException => (StatusCodes.Status403Forbidden, "Forbidden"),
            NotSupportedException => (StatusCodes.Status501NotImplemented, "Not supported by this store"),
            ChatPersistenceException { IsTransient: true } => (StatusCodes.Status503ServiceUnavailable, "Temporarily unavailable"),
            _ => (0, string.Empty),
        };
        if (status == 0)
        {
            return false;
        }

        if (exception is BadHttpRequestException)
        {
            ServerLog.RequestRefused(logger, status, httpContext.Request.Method, httpContext.Request.Path.Value ?? "/", exception.Message);
        }

        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails
            {
                Status = status,
                Title = title,
                Detail = exception is ArgumentException { ParamName: { } name } ? exception.Message.Replace($" (Parameter '{name}')", string.Empty, StringComparison.Ordinal) : exception.Message,
                Type = $"https://httpstatuses.io/{status}",
            },
        });
    }
}
