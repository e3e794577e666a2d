using System.Diagnostics;

namespace ChatPersistence.Sdk.LoadRunner.Streaming;

/// <summary>
/// A worker's store: passes every call through and reports, one line each on <see cref="Console.Out"/>, what the store
/// acknowledged (a flush's stored length and latency, a begin, an end) and every transient failure the writer will retry.
/// A line is written after the call returned, so a reported acknowledgement is a committed one.
/// </summary>
internal sealed class ReportingReplyStore(IChatSessionStore inner, TextWriter output) : DelegatingChatSessionStore(inner)
{
    public override async Task<StoredChatMessage> BeginReplyAsync(string userId, Guid sessionId, NewChatReply reply, CancellationToken cancellationToken = default)
    {
        try
        {
            var stored = await base.BeginReplyAsync(userId, sessionId, reply, cancellationToken);
            Report($"begun {reply.Id:N}");
            return stored;
        }
        catch (ChatPersistenceException ex) when (ex.IsTransient)
        {
            Report($"retry {reply.Id:N} begin {ex.GetType().Name}");
            throw;
        }
    }

    public override async Task<ChatReplyProgress> GrowReplyAsync(string userId, Guid messageId, long offset, string text, CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            var progress = await base.GrowReplyAsync(userId, messageId, offset, text, cancellationToken);
            var micros = (long)Stopwatch.GetElapsedTime(started).TotalMicroseconds;
            Report($"ack {messageId:N} {progress.Length} {micros} {(text.Length == 0 ? "heartbeat" : "flush")} {offset} {text.Length}");
            return progress;
        }
        catch (ChatPersistenceException ex) when (ex.IsTransient)
        {
            Report($"retry {messageId:N} grow {offset} {text.Length} {ex.InnerException?.GetType().Name ?? ex.GetType().Name}");
            throw;
        }
    }

    public override async Task<StoredChatMessage> FinishReplyAsync(string userId, Guid messageId, ChatReplyFinish finish, CancellationToken cancellationToken = default)
    {
        try
        {
            var stored = await base.FinishReplyAsync(userId, messageId, finish, cancellationToken);
            Report($"finished {messageId:N} {stored.Content.Length} {stored.Status} {stored.Reason}");
            return stored;
        }
        catch (ChatPersistenceException ex) when (ex.IsTransient)
        {
            Report($"retry {messageId:N} finish {ex.GetType().Name}");
            throw;
        }
    }

    private void Report(string line)
    {
        lock (output)
        {
            output.WriteLine(line);
            output.Flush();
        }
    }
}
