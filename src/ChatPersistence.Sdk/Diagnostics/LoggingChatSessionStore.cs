using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace ChatPersistence.Sdk.Internal;

/// <summary>
/// Logs every store operation with source-generated, allocation-free <see cref="LoggerMessageAttribute"/> methods and stable
/// event ids (docs/observability.md). Message text and metadata are logged only at <see cref="LogLevel.Trace"/>; user ids
/// only at Debug; keys, tokens and connection strings never (the stores keep them out of their exceptions).
/// </summary>
internal sealed partial class LoggingChatSessionStore(IChatSessionStore innerStore, ILogger logger) : ObservedChatSessionStore(innerStore)
{
    public override async Task<IReadOnlyList<StoredChatMessage>> AppendMessagesAsync(string userId, Guid sessionId, IReadOnlyList<NewChatMessage> messages, CancellationToken cancellationToken = default)
    {
        var stored = await base.AppendMessagesAsync(userId, sessionId, messages, cancellationToken).ConfigureAwait(false);
        Appended(logger, stored.Count, sessionId);
        if (logger.IsEnabled(LogLevel.Trace))
        {
            foreach (var message in stored)
            {
                Content(logger, message.Id, message.Role, sessionId, message.Content, message.Metadata);
            }
        }

        return stored;
    }

    protected override async Task<T> ObserveAsync<T>(StoreOperation operation, Func<Task<T>> call)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var result = await call().ConfigureAwait(false);
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            Completed(logger, operation.Name, elapsed);
            return result;
        }
        catch (OperationCanceledException)
        {
            Canceled(logger, operation.Name);
            throw;
        }
        catch (ArgumentException ex)
        {
            Rejected(logger, operation.Name, ex);
            throw;
        }
        catch (ChatNotFoundException ex)
        {
            NotFound(logger, operation.Name, ex.ResourceKind, ex.ResourceId);
            throw;
        }
        catch (ChatPersistenceException ex) when (ex.IsTransient)
        {
            TransientFailure(logger, operation.Name, ex.ErrorCode, ex.HttpStatusCode, ex);
            throw;
        }
        catch (ChatPersistenceException ex)
        {
            Failed(logger, operation.Name, ex.GetType().Name, ex.ErrorCode, ex.HttpStatusCode, ex);
            throw;
        }
    }

    [LoggerMessage(EventId = 1000, EventName = "OperationCompleted", Level = LogLevel.Debug, Message = "Chat store {Operation} completed in {ElapsedMilliseconds:F1} ms")]
    private static partial void Completed(ILogger logger, string operation, double elapsedMilliseconds);

    [LoggerMessage(EventId = 1001, EventName = "MessagesAppended", Level = LogLevel.Debug, Message = "Appended {Count} message(s) to chat session {SessionId}")]
    private static partial void Appended(ILogger logger, int count, Guid sessionId);

    [LoggerMessage(EventId = 1002, EventName = "MessageContent", Level = LogLevel.Trace, Message = "Message {MessageId} ({Role}) in chat session {SessionId}: {Content} metadata {Metadata}")]
    private static partial void Content(ILogger logger, Guid messageId, ChatMessageRole role, Guid sessionId, string content, System.Text.Json.JsonElement metadata);

    [LoggerMessage(EventId = 1010, EventName = "OperationCanceled", Level = LogLevel.Debug, Message = "Chat store {Operation} was canceled")]
    private static partial void Canceled(ILogger logger, string operation);

    [LoggerMessage(EventId = 1011, EventName = "InputRejected", Level = LogLevel.Warning, Message = "Chat store {Operation} rejected its input")]
    private static partial void Rejected(ILogger logger, string operation, Exception exception);

    [LoggerMessage(EventId = 1012, EventName = "NotFound", Level = LogLevel.Information, Message = "Chat store {Operation}: {ResourceKind} {ResourceId} not found for this user")]
    private static partial void NotFound(ILogger logger, string operation, string? resourceKind, Guid? resourceId);

    [LoggerMessage(EventId = 1013, EventName = "TransientFailure", Level = LogLevel.Warning, Message = "Chat store {Operation} failed transiently (code {ErrorCode}, HTTP {HttpStatusCode}); the call may be retried")]
    private static partial void TransientFailure(ILogger logger, string operation, string? errorCode, int? httpStatusCode, Exception exception);

    [LoggerMessage(EventId = 1014, EventName = "OperationFailed", Level = LogLevel.Error, Message = "Chat store {Operation} failed: {ErrorType} (code {ErrorCode}, HTTP {HttpStatusCode})")]
    private static partial void Failed(ILogger logger, string operation, string errorType, string? errorCode, int? httpStatusCode, Exception exception);
}
