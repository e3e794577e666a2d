using System.Text;
using ChatPersistence.Sdk;

namespace ChatPersistence.Samples.Server.Api;

/// <summary>
/// The store as a PDF export sees it: history pages are counted as they are read and the export stops with
/// <see cref="ExportTooLargeException"/> once the message text passes the cap, long before a large PDF is built in memory.
/// </summary>
internal sealed class CappedExportStore(IChatSessionStore inner, long maxBytes) : DelegatingChatSessionStore(inner)
{
    private long _bytes;

    public override async Task<ChatMessagePage> GetMessagesAsync(string userId, Guid sessionId, ChatHistoryRequest? request = null, CancellationToken cancellationToken = default)
    {
        var page = await base.GetMessagesAsync(userId, sessionId, request, cancellationToken);
        foreach (var message in page.Messages)
        {
            _bytes += Encoding.UTF8.GetByteCount(message.Content) + (message.Metadata.ValueKind == System.Text.Json.JsonValueKind.Undefined ? 0 : message.Metadata.GetRawText().Length);
        }

        return _bytes > maxBytes ? throw new ExportTooLargeException(maxBytes) : page;
    }
}
