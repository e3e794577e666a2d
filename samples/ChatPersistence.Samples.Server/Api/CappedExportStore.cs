using System.Diagnostics;
using System.Text;
using ChatPersistence.Sdk;

namespace ChatPersistence.Samples.Server.Api;

/// <summary>
/// The store as a PDF export sees it: history pages are counted as they are read and the export stops with
/// <see cref="ExportTooLargeException"/> once the message text passes the cap, long before a large PDF is built in memory.
/// The time limit is checked here too, as each page is read (since <paramref name="startedTimestamp"/>): the limit's timer
/// callback can run late on a busy thread pool, and then nothing else would stop the export at its limit.
/// </summary>
internal sealed class CappedExportStore(IChatSessionStore inner, long maxBytes, long startedTimestamp, TimeSpan timeLimit) : DelegatingChatSessionStore(inner)
{
    private long _bytes;

    public override async Task<ChatMessagePage> GetMessagesAsync(string userId, Guid sessionId, ChatHistoryRequest? request = null, CancellationToken cancellationToken = default)
    {
        if (Stopwatch.GetElapsedTime(startedTimestamp) >= timeLimit)
        {
            throw new OperationCanceledException("The PDF export's time limit has passed.");
        }

        var page = await base.GetMessagesAsync(userId, sessionId, request, cancellationToken);
        foreach (var message in page.Messages)
        {
            _bytes += Encoding.UTF8.GetByteCount(message.Content) + (message.Metadata.ValueKind == System.Text.Json.JsonValueKind.Undefined ? 0 : message.Metadata.GetRawText().Length);
        }

        return _bytes > maxBytes ? throw new ExportTooLargeException(maxBytes) : page;
    }
}
