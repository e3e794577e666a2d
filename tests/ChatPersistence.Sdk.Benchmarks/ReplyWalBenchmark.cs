using System.Globalization;
using System.Text;
using ChatPersistence.Sdk.Postgres;
using ChatPersistence.Sdk.PostgresTesting;
using Npgsql;

namespace ChatPersistence.Sdk.Benchmarks;

/// <summary>
/// The WAL budget of a streaming reply (issue 26, design §5): the WAL bytes (<c>pg_current_wal_lsn()</c> before and after)
/// of a 20,000-character answer stored as it streams — 500 model chunks of 40 characters, flushed every 200 ms, through
/// <see cref="PostgresChatSessionStore"/> (begin, one grow per flush, finish) — next to one INSERT of the final message
/// (and next to the store's append of it). Target: at most 3×.
/// </summary>
/// <remarks>
/// Assumptions, printed with the figures: the 500 chunks arrive evenly over the stream, so a 200 ms flush carries
/// 500 / (duration / 200 ms) chunks; the shapes are 5 s (25 flushes: 100 chunks/s, a fast model), 10 s (50), 25 s (125:
/// the load runner's 20 chunks/s) and 50 s (250: 10 chunks/s, the slowest rate the design's budget holds for). Each flush
/// is its own round trip and transaction, as the store does it; nothing is slept (WAL does not depend on the wall clock,
/// only on how many flushes there are). The text is prose-like (words drawn from a fixed vocabulary, seeded), so TOAST
/// compression and the search index see what a real answer gives them. The cluster is a private one with PostgreSQL's
/// durable defaults (full_page_writes on). A warm-up reply runs first; the first figures have no checkpoint in the
/// window (the steady state), the second a CHECKPOINT before each measured operation (every first touch of a page after
/// a checkpoint writes a full-page image: the worst case).
/// </remarks>
public static class ReplyWalBenchmark
{
    private const int Characters = 20_000;
    private const int Chunks = 500;

    /// <summary>Runs the measurement and prints the table; returns 0 (the figures are for reading, not a pass/fail).</summary>
    /// <param name="smoke">Only the 5 s shape, without the checkpoint variant.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(bool smoke)
    {
        var cluster = await PostgresCluster.StartPrivateAsync();
        var database = await cluster.CreateDatabaseAsync();
        await using var admin = NpgsqlDataSource.Create(cluster.ConnectionString(database));
        await using var store = new PostgresChatSessionStore(admin);
        var user = (await BenchEnvironment.UserAsync(admin)).ToString();
        var session = await store.GetOrCreateSessionAsync(user, "wal-benchmark");
        var text = Prose(Characters, seed: 26);
        var chunks = Enumerable.Range(0, Chunks).Select(i => text.Substring(i * (Characters / Chunks), Characters / Chunks)).ToArray();

        // Warm-up: plans cached, the pages touched once, the relations' first extensions done.
        await StreamAsync(store, user, session.Id, chunks, flushes: 25);
        await store.AppendMessageAsync(user, session.Id, NewChatMessage.Assistant(text));
        await InsertAsync(admin, user, session.Id, text);

        int[] shapes = smoke ? [25] : [25, 50, 125, 250];
        Console.WriteLine();
        Console.WriteLine($"Reply WAL budget: {Characters:N0} characters in {Chunks} chunks, one flush per 200 ms of stream (issue 26 target: <= 3x one INSERT).");
        foreach (var checkpoint in smoke ? [false] : new[] { false, true })
        {
            var insert = await MeasureAsync(admin, checkpoint, () => InsertAsync(admin, user, session.Id, text));
            var append = await MeasureAsync(admin, checkpoint, () => store.AppendMessageAsync(user, session.Id, NewChatMessage.Assistant(text)));
            Console.WriteLine();
            Console.WriteLine(checkpoint ? "With a CHECKPOINT before each measured operation (full-page images):" : "Steady state (no checkpoint in the window):");
            Console.WriteLine($"| Operation | Flushes | WAL bytes | vs INSERT |");
            Console.WriteLine($"|---|---|---|---|");
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| one INSERT of the final message (reference) | - | {insert:N0} | 1.00x |"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| chat_append_messages of the final message | - | {append:N0} | {(double)append / insert:F2}x |"));
            foreach (var flushes in shapes)
            {
                var stream = await MeasureAsync(admin, checkpoint, () => StreamAsync(store, user, session.Id, chunks, flushes));
                var ratio = (double)stream / insert;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| streamed over {flushes / 5} s: begin + {flushes} grows + finish | {flushes} | {stream:N0} | {ratio:F2}x{(ratio > 3 ? " (over the 3x target)" : "")} |"));
            }
        }

        return 0;
    }

    // One reply: begin, the chunks grouped into `flushes` grows (each the text of 500 / flushes chunks), finish (no tail).
    private static async Task StreamAsync(PostgresChatSessionStore store, string user, Guid sessionId, string[] chunks, int flushes)
    {
        var reply = await store.BeginReplyAsync(user, sessionId, new NewChatReply { Metadata = System.Text.Json.JsonDocument.Parse("""{"model":"bench"}""").RootElement });
        var offset = 0;
        var perFlush = chunks.Length / flushes;
        for (var f = 0; f < flushes; f++)
        {
            var flush = string.Concat(chunks.Skip(f * perFlush).Take(perFlush));
            await store.GrowReplyAsync(user, reply.Id, offset, flush);
            offset += flush.Length;
        }

        var ended = await store.FinishReplyAsync(user, reply.Id, new ChatReplyFinish { Status = ChatReplyStatus.Complete });
        if (ended.Content.Length != offset)
        {
            throw new InvalidOperationException($"The streamed reply holds {ended.Content.Length} characters, not {offset}.");
        }
    }

    private static async Task InsertAsync(NpgsqlDataSource admin, string user, Guid sessionId, string text)
    {
        await using var command = admin.CreateCommand(
            "insert into public.chat_messages (id, session_id, user_id, role, content) values ($1, $2, $3, 'assistant', $4)");
        command.Parameters.AddWithValue(Guid.CreateVersion7());
        command.Parameters.AddWithValue(sessionId);
        command.Parameters.AddWithValue(Guid.Parse(user));
        command.Parameters.AddWithValue(text);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<long> MeasureAsync(NpgsqlDataSource admin, bool checkpoint, Func<Task> operation)
    {
        if (checkpoint)
        {
            await using var command = admin.CreateCommand("checkpoint");
            await command.ExecuteNonQueryAsync();
        }

        var before = await LsnAsync(admin);
        await operation();
        var after = await LsnAsync(admin);
        await using var diff = admin.CreateCommand("select pg_wal_lsn_diff($1::pg_lsn, $2::pg_lsn)::bigint");
        diff.Parameters.AddWithValue(after);
        diff.Parameters.AddWithValue(before);
        return (long)(await diff.ExecuteScalarAsync())!;
    }

    private static async Task<string> LsnAsync(NpgsqlDataSource admin)
    {
        await using var command = admin.CreateCommand("select pg_current_wal_lsn()::text");
        return (string)(await command.ExecuteScalarAsync())!;
    }

    // Prose-like text of exactly `length` characters: a vocabulary of 3,000 words built from syllables (accents included),
    // drawn with Zipf's law (s = 1, as words in real text are), so compression and the search index's distinct words
    // (~1,000 in 20,000 characters) are close to a real answer's; sentences, and a paragraph break now and then. Seeded.
    private static string Prose(int length, int seed)
    {
        string[] syllables =
        [
            "da", "ta", "ba", "re", "pro", "con", "ção", "men", "te", "lo", "ri", "sa", "ve", "mo", "in", "ex", "per", "tra",
            "ble", "dor", "são", "ca", "ni", "po", "se", "tu", "al", "for", "ma", "li", "de", "ver", "ness", "ing", "ed", "ly",
        ];
        var random = new Random(seed);
        var vocabulary = new string[3000];
        for (var i = 0; i < vocabulary.Length; i++)
        {
            var word = new StringBuilder();
            var parts = i < 50 ? 1 : 1 + random.Next(4);
            for (var p = 0; p < parts; p++)
            {
                word.Append(syllables[random.Next(syllables.Length)]);
            }

            vocabulary[i] = word.ToString();
        }

        // Zipf: P(rank r) ~ 1 / r, sampled through the cumulative weights.
        var cumulative = new double[vocabulary.Length];
        var total = 0.0;
        for (var r = 0; r < vocabulary.Length; r++)
        {
            total += 1.0 / (r + 1);
            cumulative[r] = total;
        }

        var builder = new StringBuilder(length + 64);
        var sentence = 0;
        while (builder.Length < length)
        {
            var index = Array.BinarySearch(cumulative, random.NextDouble() * total);
            var word = vocabulary[index < 0 ? ~index : index];
            builder.Append(sentence == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : word);
            sentence++;
            if (sentence > 8 && random.Next(6) == 0)
            {
                builder.Append(random.Next(8) == 0 ? ".\n\n" : ". ");
                sentence = 0;
            }
            else
            {
                builder.Append(' ');
            }
        }

        return builder.ToString(0, length);
    }
}
