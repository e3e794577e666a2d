using System.Globalization;
using System.Text;
using ChatPersistence.Sdk.Sqlite;
using Microsoft.Data.Sqlite;

namespace ChatPersistence.Sdk.Benchmarks;

/// <summary>
/// What a reply stored while it streams costs the SQLite file, against one INSERT of the finished message (issue 26:
/// ≤ 3×). The bytes are the WAL frames the operations append: the WAL is emptied (<c>wal_checkpoint(TRUNCATE)</c>) before
/// each measured operation and its size read after, so frames = (size − 32-byte header) / (page size + 24-byte frame header).
/// Every committed page is one frame; a page changed by several commits is written once per commit — which is why the
/// per-flush cost is a whole page however short the text, and why the flush interval decides the ratio.
/// </summary>
/// <remarks>
/// The answer: 20,000 characters of prose in 500 chunks of 40, arriving evenly over the stream's duration; the writer
/// flushes what arrived every interval (a grow per flush with text), and the finish carries the rest and compacts the
/// chunks into the message; measured from begin to finish. The reference appends the same final text as one message to a
/// session in the same state (one question before it); the sessions and questions are written before the measurement. No clock is waited for: arrival times only decide how the chunks are grouped into flushes.
/// Run: <c>dotnet run -c Release --project tests/ChatPersistence.Sdk.Benchmarks -- --replies</c> (with <c>--smoke</c>: the
/// 25 s stream only).
/// </remarks>
public static class SqliteReplyWrites
{
    private const int AnswerLength = 20_000;
    private const int ChunkCount = 500;
    private const int WalHeader = 32;
    private const int FrameHeader = 24;

    /// <summary>Measures and prints the table; returns 0, or 1 when a measurement could not be taken.</summary>
    /// <param name="smoke">Only the 25-second stream.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(bool smoke)
    {
        // The pages a commit writes do not depend on where the file is: tmpfs (when present) spares the fsyncs' time.
        var root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        var folder = Path.Combine(root, "chatpersistence-bench-replies-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, "chat.db");
        try
        {
            await using var store = new SqliteChatSessionStore(new SqliteChatStoreOptions { Path = path });
            var text = Prose(AnswerLength);
            var chunks = Enumerable.Range(0, ChunkCount).Select(i => text.Substring(i * (AnswerLength / ChunkCount), AnswerLength / ChunkCount)).ToArray();
            await using var meter = new WalMeter(path);

            // Warm-up: the file's first pages, the statements and the FTS structures exist before anything is measured.
            await StreamAsync(store, await AskAsync(store), chunks, TimeSpan.FromSeconds(25), TimeSpan.FromSeconds(2));
            await store.AppendMessageAsync("ana", await AskAsync(store), NewChatMessage.Assistant(text));

            var asked = await AskAsync(store);
            var reference = await meter.MeasureAsync(() => store.AppendMessageAsync("ana", asked, NewChatMessage.Assistant(text)));
            Console.WriteLine();
            Console.WriteLine($"SQLite reply writes: a {AnswerLength:N0}-character answer in {ChunkCount} chunks; WAL page size {meter.PageSize} B.");
            Console.WriteLine($"Reference, one INSERT of the final message (the store's append): {reference.Frames} pages, {reference.Bytes:N0} B.");
            Console.WriteLine();
            Console.WriteLine("| stream | flush every | grows | WAL pages | WAL bytes | × the INSERT |");
            Console.WriteLine("|---|---|---|---|---|---|");
            int[] durations = smoke ? [25] : [10, 25, 50];
            TimeSpan[] intervals = [TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(2)];
            foreach (var seconds in durations)
            {
                foreach (var interval in intervals)
                {
                    var grows = 0;
                    var session = await AskAsync(store);
                    var stream = await meter.MeasureAsync(async () => grows = await StreamAsync(store, session, chunks, TimeSpan.FromSeconds(seconds), interval));
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {seconds} s | {interval.TotalMilliseconds:0} ms | {grows} | {stream.Frames} | {stream.Bytes:N0} | **{(double)stream.Bytes / reference.Bytes:0.00}×** |"));
                }
            }

            if (!smoke)
            {
                var each = 0;
                var session = await AskAsync(store);
                var everyChunk = await meter.MeasureAsync(async () => each = await StreamAsync(store, session, chunks, TimeSpan.FromSeconds(25), TimeSpan.Zero));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| 25 s | every chunk | {each} | {everyChunk.Frames} | {everyChunk.Bytes:N0} | **{(double)everyChunk.Bytes / reference.Bytes:0.00}×** |"));
            }

            return 0;
        }
        catch (InvalidOperationException ex)
        {
            Console.Error.WriteLine($"SQLite reply writes: {ex.Message}");
            return 1;
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    // Streams the chunks as a writer flushing every interval would (TimeSpan.Zero: one grow per chunk); returns the grows.
    private static async Task<int> StreamAsync(SqliteChatSessionStore store, Guid session, string[] chunks, TimeSpan duration, TimeSpan interval)
    {
        var reply = await store.BeginReplyAsync("ana", session, new NewChatReply());
        var pending = new StringBuilder();
        long offset = 0;
        var grows = 0;
        var nextFlush = interval;
        for (var i = 0; i < chunks.Length; i++)
        {
            var arrival = duration * (i + 1) / chunks.Length;
            if (interval > TimeSpan.Zero && arrival > nextFlush && pending.Length > 0)
            {
                // The flush at nextFlush sends what arrived before it.
                await store.GrowReplyAsync("ana", reply.Id, offset, pending.ToString());
                offset += pending.Length;
                pending.Clear();
                grows++;
            }

            while (interval > TimeSpan.Zero && arrival > nextFlush)
            {
                nextFlush += interval;
            }

            pending.Append(chunks[i]);
            if (interval == TimeSpan.Zero)
            {
                await store.GrowReplyAsync("ana", reply.Id, offset, pending.ToString());
                offset += pending.Length;
                pending.Clear();
                grows++;
            }
        }

        await store.FinishReplyAsync("ana", reply.Id, new ChatReplyFinish { Status = ChatReplyStatus.Complete, Offset = offset, Text = pending.ToString() });
        return grows;
    }

    // A new session holding the question: what both the reply and the reference answer (not measured).
    private static async Task<Guid> AskAsync(SqliteChatSessionStore store)
    {
        var session = await store.GetOrCreateSessionAsync("ana", "answer-" + Guid.NewGuid().ToString("N"));
        await store.AppendMessageAsync("ana", session.Id, NewChatMessage.User("Write me a long answer, please."));
        return session.Id;
    }

    // Deterministic English-like prose: words of a fixed vocabulary, sentences, paragraphs.
    private static string Prose(int length)
    {
        var random = new Random(26);
        string[] vocabulary = [.. Enumerable.Range(0, 1500).Select(i => Word(random))];
        var builder = new StringBuilder(length + 16);
        var sentence = 0;
        while (builder.Length < length)
        {
            var word = vocabulary[random.Next(vocabulary.Length)];
            builder.Append(sentence == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : word);
            sentence++;
            if (sentence > 8 && random.Next(6) == 0)
            {
                builder.Append(random.Next(5) == 0 ? ".\n\n" : ". ");
                sentence = 0;
            }
            else
            {
                builder.Append(' ');
            }
        }

        return builder.ToString(0, length);
    }

    private static string Word(Random random)
    {
        const string letters = "etaoinshrdlucmfwypvbgkjqxz";
        var chars = new char[random.Next(2, 10)];
        for (var i = 0; i < chars.Length; i++)
        {
            chars[i] = letters[(int)(Math.Pow(random.NextDouble(), 2) * letters.Length)];
        }

        return new string(chars);
    }

    /// <summary>Counts the WAL frames an operation appends (see <see cref="SqliteReplyWrites"/>).</summary>
    private sealed class WalMeter : IAsyncDisposable
    {
        private readonly string _wal;
        private readonly SqliteConnection _connection;

        public WalMeter(string path)
        {
            _wal = path + "-wal";
            _connection = new SqliteConnection($"Data Source={path};Pooling=False");
            _connection.Open();
            using var command = _connection.CreateCommand();
            command.CommandText = "PRAGMA page_size";
            PageSize = Convert.ToInt32(command.ExecuteScalar(), CultureInfo.InvariantCulture);
        }

        public int PageSize { get; }

        public async Task<(long Frames, long Bytes)> MeasureAsync(Func<Task> operation)
        {
            await using (var checkpoint = _connection.CreateCommand())
            {
                checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
                await using var reader = await checkpoint.ExecuteReaderAsync();
                await reader.ReadAsync();
                if (reader.GetInt64(0) != 0 || new FileInfo(_wal).Length != 0)
                {
                    throw new InvalidOperationException("the WAL could not be emptied before a measurement (a reader held it).");
                }
            }

            await operation();
            var size = new FileInfo(_wal).Length;
            var frames = size == 0 ? 0 : (size - WalHeader) / (PageSize + FrameHeader);

            // Past 1,000 pages SQLite checkpoints by itself and reuses the WAL from its start: the size would undercount.
            return frames < 1000 ? (frames, size) : throw new InvalidOperationException($"{frames} WAL pages: an automatic checkpoint may have run; measure a shorter operation.");
        }

        public ValueTask DisposeAsync() => _connection.DisposeAsync();
    }
}
