using System.Diagnostics;
using System.Globalization;
using ChatPersistence.Sdk.Postgres;

namespace ChatPersistence.Sdk.LoadRunner.Streaming;

/// <summary>
/// A worker process of the streaming mode (<c>--streaming-worker</c>): writes its replies concurrently with
/// <see cref="ChatReplyWriter"/> (one chunk every 1/rate second each, the writer flushing every interval), reporting what
/// the store acknowledges on standard output (<see cref="ReportingReplyStore"/>) until it ends them all or is killed.
/// </summary>
internal static class StreamingWorker
{
    public static async Task<int> RunAsync(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        var connection = Value(args, "--connection");
        var lease = TimeSpan.FromMilliseconds(Number(args, "--lease-ms"));
        var flush = TimeSpan.FromMilliseconds(Number(args, "--flush-ms"));
        var chunks = (int)Number(args, "--chunks");
        var period = TimeSpan.FromSeconds(1.0 / Number(args, "--rate"));
        var stagger = TimeSpan.FromMilliseconds(Number(args, "--stagger-ms"));
        var replies = new List<(string User, Guid Session, Guid Reply)>();
        for (var i = 0; i < args.Length - 1; i++)
        {
            if (args[i] == "--reply")
            {
                var parts = args[i + 1].Split(',');
                replies.Add((parts[0], Guid.Parse(parts[1]), Guid.Parse(parts[2])));
            }
        }

        await using var postgres = new PostgresChatSessionStore(connection);
        var store = new ReportingReplyStore(postgres, Console.Out);
        var spacing = replies.Count > 1 ? stagger / replies.Count : TimeSpan.Zero;
        await Task.WhenAll(replies.Select((r, k) => Task.Run(() => WriteAsync(store, r.User, r.Session, r.Reply, spacing * k, chunks, period, lease, flush))));
        return 0;
    }

    private static async Task WriteAsync(IChatSessionStore store, string user, Guid session, Guid reply, TimeSpan delay, int chunks, TimeSpan period, TimeSpan lease, TimeSpan flush)
    {
        await Task.Delay(delay);
        await using var writer = await ChatReplyWriter.StartAsync(
            store, user, session, new NewChatReply { Id = reply, Lease = lease }, new ChatReplyWriterOptions { FlushInterval = flush });
        var started = Stopwatch.GetTimestamp();
        for (var i = 0; i < chunks; i++)
        {
            // Chunk i is due at start + i × period: a late chunk does not push back the ones after it.
            var wait = (period * i) - Stopwatch.GetElapsedTime(started);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait);
            }

            writer.Append(StreamingText.Chunk(reply, i, chunks));
        }

        var produced = Stopwatch.GetElapsedTime(started);
        var stored = await writer.CompleteAsync();
        lock (Console.Out)
        {
            Console.Out.WriteLine($"end {reply:N} {stored.Content.Length} {stored.Status} {stored.Reason} {chunks / Math.Max(produced.TotalSeconds, 0.001):F2}");
            Console.Out.Flush();
        }
    }

    private static string Value(string[] args, string name)
    {
        var index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length ? args[index + 1] : throw new ArgumentException($"{name} is required.");
    }

    private static double Number(string[] args, string name) => double.Parse(Value(args, name), CultureInfo.InvariantCulture);
}
