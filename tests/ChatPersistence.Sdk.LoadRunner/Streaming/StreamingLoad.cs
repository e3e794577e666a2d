using System.Diagnostics;
using System.Globalization;
using ChatPersistence.Sdk.Postgres;
using ChatPersistence.Sdk.PostgresTesting;
using Npgsql;

namespace ChatPersistence.Sdk.LoadRunner.Streaming;

/// <summary>
/// The load runner's streaming mode: many replies stream at once from several worker processes (each reply through
/// <see cref="ChatReplyWriter"/> on the PostgreSQL store), while some workers are killed (SIGKILL) and PostgreSQL is
/// restarted; then every reply is checked against the database. For every reply the stored text must be a prefix of the
/// produced text (no duplicate, gap or reordering) at least as long as the writer was told was stored; a survivor's reply
/// ends Complete with all of its text; a killed writer's reply reads Interrupted (LeaseExpired) after its lease, unless its
/// end was stored first.
/// </summary>
public static class StreamingLoad
{
    /// <summary>Runs the streaming mode and verifies the database.</summary>
    /// <param name="options">The size and faults.</param>
    /// <param name="log">Where progress and figures are written.</param>
    /// <param name="cancellationToken">Cancels the run (the workers are killed).</param>
    /// <returns>The figures and the outcome of every reply.</returns>
    /// <exception cref="ArgumentException">The options are inconsistent.</exception>
    public static async Task<StreamingLoadResult> RunAsync(StreamingLoadOptions options, TextWriter log, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(log);
        Validate(options);
        PostgresCluster? owned = null;
        var cluster = options.Cluster ?? (owned = await PostgresCluster.StartPrivateAsync());
        try
        {
            if (options.RestartPostgres && !cluster.IsThrowaway)
            {
                throw new ArgumentException("A PostgreSQL restart needs a throwaway cluster started by the run.", nameof(options));
            }

            var result = await RunOnAsync(cluster, options, log, cancellationToken);
            if (!result.Verified && owned is not null && cluster.DataDirectory is { } data && File.Exists(Path.Combine(data, "..", "server.log")))
            {
                var kept = Path.Combine(Path.GetTempPath(), $"chatpersistence-streaming-server-{Guid.NewGuid():N}.log");
                File.Copy(Path.Combine(data, "..", "server.log"), kept);
                log.WriteLine($"PostgreSQL's log of the failed run: {kept}");
            }

            return result;
        }
        finally
        {
            if (owned is not null)
            {
                await owned.DisposeAsync();
            }
        }
    }

    private static void Validate(StreamingLoadOptions o)
    {
        if (o.Replies < 1 || o.Workers < 1 || o.Workers > o.Replies || o.Chunks < 1 || o.ChunksPerSecond <= 0 || o.FlushInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException("Replies, workers (at most one per reply), chunks, the chunk rate and the flush interval must be positive.", nameof(o));
        }

        if (o.Kills < 0 || o.Kills >= o.Workers)
        {
            throw new ArgumentException("Kills must leave at least one worker alive.", nameof(o));
        }

        if (o.Lease < ChatPersistenceLimits.MinReplyLease || o.Lease > ChatPersistenceLimits.MaxReplyLease)
        {
            throw new ArgumentException($"The lease must be between {ChatPersistenceLimits.MinReplyLease} and {ChatPersistenceLimits.MaxReplyLease}.", nameof(o));
        }

        if (o.KillAt is < 0 or > 1 || o.RestartAt is < 0 or > 1)
        {
            throw new ArgumentException("KillAt and RestartAt are fractions of the streaming time, between 0 and 1.", nameof(o));
        }
    }

    private static async Task<StreamingLoadResult> RunOnAsync(PostgresCluster cluster, StreamingLoadOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var connectionString = cluster.ConnectionString(await cluster.CreateDatabaseAsync());
        var states = await SetUpAsync(connectionString, options, cancellationToken);
        var byId = states.ToDictionary(s => s.Reply);
        var streaming = TimeSpan.FromSeconds(options.Chunks / options.ChunksPerSecond);
        log.WriteLine($"Streaming mode: {options.Replies} replies × {options.Chunks} chunks at {options.ChunksPerSecond} chunks/s ({streaming.TotalSeconds:F1} s each), " +
            $"flush every {options.FlushInterval.TotalMilliseconds} ms, lease {options.Lease.TotalSeconds} s, {options.Workers} worker processes, " +
            $"{options.Kills} killed, PostgreSQL restart: {(options.RestartPostgres ? (options.ImmediateRestart ? "immediate" : "fast") : "none")}, " +
            $"{Environment.ProcessorCount} cores");

        var gate = new Lock();
        var latencies = new List<double>();
        var retries = 0;
        var flushes = 0;
        var begun = 0;
        long firstBegin = 0;
        long lastEnd = 0;
        var allBegun = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var rates = new List<double>();

        void OnLine(string line)
        {
            var parts = line.Split(' ');
            lock (gate)
            {
                if (parts.Length < 2 || !Guid.TryParseExact(parts[1], "N", out var id) || !byId.TryGetValue(id, out var state))
                {
                    log.WriteLine($"worker: {line}");
                    return;
                }

                state.History.Add($"{DateTime.UtcNow:HH:mm:ss.fff}  {line[..line.IndexOf(' ', StringComparison.Ordinal)]} {string.Join(' ', parts.Skip(2))}");
                switch (parts[0])
                {
                    case "begun":
                        if (!state.Begun)
                        {
                            state.Begun = true;
                            firstBegin = firstBegin == 0 ? Stopwatch.GetTimestamp() : firstBegin;
                            if (++begun == states.Count)
                            {
                                allBegun.TrySetResult();
                            }
                        }

                        break;
                    case "ack":
                        state.Acknowledged = Math.Max(state.Acknowledged, long.Parse(parts[2], CultureInfo.InvariantCulture));
                        if (parts[4] == "flush")
                        {
                            flushes++;
                            latencies.Add(long.Parse(parts[3], CultureInfo.InvariantCulture) / 1000.0);
                        }

                        break;
                    case "retry":
                        retries++;
                        break;
                    case "finished":
                        state.Acknowledged = Math.Max(state.Acknowledged, long.Parse(parts[2], CultureInfo.InvariantCulture));
                        state.Ended = true;
                        lastEnd = Stopwatch.GetTimestamp();
                        break;
                    case "end":
                        rates.Add(double.Parse(parts[5], CultureInfo.InvariantCulture));
                        break;
                    default:
                        log.WriteLine($"worker: {line}");
                        break;
                }
            }
        }

        var workers = new List<WorkerProcess>();
        try
        {
            foreach (var group in states.GroupBy(s => s.Worker).OrderBy(g => g.Key))
            {
                var arguments = new List<string>
                {
                    "--connection", connectionString,
                    "--lease-ms", options.Lease.TotalMilliseconds.ToString(CultureInfo.InvariantCulture),
                    "--flush-ms", options.FlushInterval.TotalMilliseconds.ToString(CultureInfo.InvariantCulture),
                    "--chunks", options.Chunks.ToString(CultureInfo.InvariantCulture),
                    "--rate", options.ChunksPerSecond.ToString(CultureInfo.InvariantCulture),
                    "--stagger-ms", "1000",
                };
                foreach (var state in group)
                {
                    arguments.Add("--reply");
                    arguments.Add($"{state.User},{state.Session},{state.Reply}");
                }

                workers.Add(WorkerProcess.Start(arguments, OnLine));
            }

            // The faults are timed from the moment every reply has begun, so they land while every reply streams.
            var exited = Task.WhenAll(workers.Select(w => w.WaitAsync(cancellationToken)));
            await Task.WhenAny(allBegun.Task, exited, Task.Delay(TimeSpan.FromSeconds(60), cancellationToken));
            log.WriteLine(allBegun.Task.IsCompleted ? $"all {states.Count} replies begun" : $"only {Volatile.Read(ref begun)} of {states.Count} replies begun; going on");
            var clock = Stopwatch.StartNew();
            using var readersStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var reading = ReadWhileStreamingAsync(connectionString, states.Where((_, i) => i % 5 == 0).ToList(), options.Chunks, readersStop.Token);
            var killed = new List<WorkerProcess>();
            var killing = Task.Run(
                async () =>
                {
                    await Task.Delay(streaming * options.KillAt, cancellationToken);
                    foreach (var worker in workers.Take(options.Kills))
                    {
                        worker.Kill();
                        killed.Add(worker);
                        log.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: killed worker process {worker.Id} (SIGKILL)");
                    }
                },
                cancellationToken);
            var restartDuration = TimeSpan.Zero;
            var restarting = Task.Run(
                async () =>
                {
                    if (!options.RestartPostgres)
                    {
                        return;
                    }

                    await Task.Delay(streaming * options.RestartAt, cancellationToken);
                    var started = Stopwatch.GetTimestamp();
                    log.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff}: restart begins");
                    log.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: restarting PostgreSQL ({(options.ImmediateRestart ? "immediate" : "fast")} stop)");
                    await cluster.RestartAsync(options.ImmediateRestart);
                    restartDuration = Stopwatch.GetElapsedTime(started);
                    log.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff}: restart ends");
                    log.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: PostgreSQL is back after {restartDuration.TotalSeconds:F1} s");
                },
                cancellationToken);
            await Task.WhenAll(killing, restarting);

            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter((streaming * 4) + TimeSpan.FromMinutes(2));
            await Task.WhenAll(workers.Select(w => w.WaitAsync(limit.Token)));
            await readersStop.CancelAsync();
            var reads = await reading;
            log.WriteLine($"{clock.Elapsed.TotalSeconds:F1} s: every worker has ended");
            foreach (var state in states)
            {
                state.Killed = workers[state.Worker].Killed;
            }

            var workerFailures = workers.Select(w => w.Killed || w.ExitCode == 0 ? null : $"worker failed: process {w.Id} exited with {w.ExitCode}: {w.Errors}").ToList();
            await using var store = new PostgresChatSessionStore(connectionString);
            await WaitForLeasesAsync(store, states.Where(s => s.Killed && s.Begun && !s.Ended), options.Lease, log, cancellationToken);
            var outcomes = new List<StreamingReplyOutcome>();
            foreach (var state in states)
            {
                outcomes.Add(await VerifyAsync(store, state, options.Chunks, workerFailures[state.Worker], cancellationToken));
            }

            double[] sorted;
            lock (gate)
            {
                sorted = [.. latencies.Order()];
            }

            var result = new StreamingLoadResult
            {
                ConnectionString = connectionString,
                Replies = outcomes,
                Kills = killed.Count,
                Restarted = options.RestartPostgres,
                RestartDuration = restartDuration,
                Retries = Volatile.Read(ref retries),
                ReaderReads = reads,
                Flushes = Volatile.Read(ref flushes),
                StreamingTime = firstBegin == 0 || lastEnd == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(firstBegin, lastEnd),
                ChunksStored = outcomes.Sum(o => (long)StreamingText.WholeChunks(o.ReplyId, options.Chunks, o.StoredText?.Length ?? 0)),
                CharactersVerified = outcomes.Sum(o => (long)(o.StoredText?.Length ?? 0)),
                FlushP50Milliseconds = Percentile(sorted, 50),
                FlushP99Milliseconds = Percentile(sorted, 99),
                ChunksPerSecondPerReply = rates.Count == 0 ? 0 : rates.Average(),
            };
            Print(result, log);
            foreach (var failed in outcomes.Where(o => o.Problems.Count > 0).Take(3))
            {
                var state = byId[failed.ReplyId];
                log.WriteLine($"history of reply {failed.ReplyId} (worker {state.Worker}, killed: {state.Killed}), as its worker reported it:");
                foreach (var entry in state.History)
                {
                    log.WriteLine("  " + entry);
                }

                await using var admin = NpgsqlDataSource.Create(connectionString);
                await using var chunks = admin.CreateCommand(
                    "select start_offset, length, written_at from chat_private.chat_reply_chunks where message_id = $1 order by start_offset");
                chunks.Parameters.AddWithValue(failed.ReplyId);
                await using var reader = await chunks.ExecuteReaderAsync(cancellationToken);
                log.WriteLine("  chunks stored now (start, length, written_at):");
                while (await reader.ReadAsync(cancellationToken))
                {
                    log.WriteLine($"    {reader.GetInt64(0)} {reader.GetInt32(1)} {reader.GetDateTime(2):HH:mm:ss.fff}");
                }
            }

            return result;
        }
        finally
        {
            foreach (var worker in workers)
            {
                worker.Dispose();
            }
        }
    }

    /// <summary>
    /// A reader on another connection, as another tab or instance: resumes each reply from the length it has
    /// (<see cref="IChatSessionStore.ReadReplyAsync"/> after an offset) every 250 ms until stopped, retrying through the
    /// restart. Each read must continue a prefix of the produced text, and the stored length must never go down.
    /// </summary>
    /// <returns>How many reads succeeded.</returns>
    private static async Task<int> ReadWhileStreamingAsync(string connectionString, IReadOnlyList<ReplyState> replies, int chunks, CancellationToken cancellationToken)
    {
        var produced = replies.ToDictionary(r => r.Reply, r => StreamingText.Full(r.Reply, chunks));
        var seen = replies.ToDictionary(r => r.Reply, _ => 0L);
        var reads = 0;
        await using var store = new PostgresChatSessionStore(connectionString);
        try
        {
            while (true)
            {
                foreach (var reply in replies)
                {
                    try
                    {
                        var read = await store.ReadReplyAsync(reply.User, reply.Reply, seen[reply.Reply], cancellationToken);
                        reads++;
                        var text = produced[reply.Reply];
                        if (read.Length < seen[reply.Reply])
                        {
                            reply.ReaderProblems.Add($"reader saw the text shrink: {read.Length} after {seen[reply.Reply]}");
                        }
                        else if (!text.AsSpan((int)Math.Min(seen[reply.Reply], text.Length)).StartsWith(read.Text, StringComparison.Ordinal))
                        {
                            reply.ReaderProblems.Add($"reader read a text that is not a prefix of the produced text, at {seen[reply.Reply]}");
                        }
                        else
                        {
                            seen[reply.Reply] += read.Text.Length;
                        }
                    }
                    catch (ChatNotFoundException)
                    {
                        // Not begun yet.
                    }
                    catch (ChatPersistenceException ex) when (ex.IsTransient)
                    {
                        // PostgreSQL is restarting: read again on the next round.
                    }
                }

                await Task.Delay(250, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return reads;
        }
    }

    private static async Task<List<ReplyState>> SetUpAsync(string connectionString, StreamingLoadOptions options, CancellationToken cancellationToken)
    {
        var states = new List<ReplyState>();
        await using var admin = NpgsqlDataSource.Create(connectionString);
        await using var store = new PostgresChatSessionStore(connectionString);
        for (var i = 0; i < options.Replies; i++)
        {
            var user = Guid.NewGuid();
            await using (var insert = admin.CreateCommand("insert into auth.users (id) values ($1)"))
            {
                insert.Parameters.AddWithValue(user);
                await insert.ExecuteNonQueryAsync(cancellationToken);
            }

            var session = await store.GetOrCreateSessionAsync(user.ToString(), $"streaming-{i}", cancellationToken: cancellationToken);
            await store.AppendMessagesAsync(user.ToString(), session.Id, [NewChatMessage.User($"question {i}")], cancellationToken);
            states.Add(new ReplyState { User = user.ToString(), Session = session.Id, Reply = Guid.CreateVersion7(), Worker = i % options.Workers });
        }

        return states;
    }

    /// <summary>Waits until every reply of a killed writer reads as ended (its lease has run out), at most three leases more.</summary>
    private static async Task WaitForLeasesAsync(IChatSessionStore store, IEnumerable<ReplyState> replies, TimeSpan lease, TextWriter log, CancellationToken cancellationToken)
    {
        var pending = replies.ToList();
        var started = Stopwatch.GetTimestamp();
        while (pending.Count > 0 && Stopwatch.GetElapsedTime(started) < (lease * 3) + TimeSpan.FromSeconds(10))
        {
            var still = new List<ReplyState>();
            foreach (var reply in pending)
            {
                var read = await store.ReadReplyAsync(reply.User, reply.Reply, int.MaxValue, cancellationToken);
                if (read.Status == ChatReplyStatus.Streaming)
                {
                    still.Add(reply);
                }
            }

            pending = still;
            if (pending.Count > 0)
            {
                await Task.Delay(250, cancellationToken);
            }
        }

        log.WriteLine($"killed writers' replies ended after {Stopwatch.GetElapsedTime(started).TotalSeconds:F1} s more ({pending.Count} still streaming)");
    }

    private static async Task<StreamingReplyOutcome> VerifyAsync(IChatSessionStore store, ReplyState state, int chunks, string? workerFailure, CancellationToken cancellationToken)
    {
        var produced = StreamingText.Full(state.Reply, chunks);
        var problems = workerFailure is null ? new List<string>() : [workerFailure];
        problems.AddRange(state.ReaderProblems);
        ChatReplyText? read = null;
        try
        {
            read = await store.ReadReplyAsync(state.User, state.Reply, 0, cancellationToken);
        }
        catch (ChatNotFoundException)
        {
            if (state.Begun)
            {
                problems.Add("acknowledged reply missing: the begin was acknowledged but the reply is not stored");
            }
        }

        if (read is not null)
        {
            var text = read.Text;
            if (read.Length != text.Length)
            {
                problems.Add($"length mismatch: stored length {read.Length} but {text.Length} characters read");
            }

            if (!produced.StartsWith(text, StringComparison.Ordinal))
            {
                var at = 0;
                while (at < text.Length && at < produced.Length && text[at] == produced[at])
                {
                    at++;
                }

                problems.Add($"not a prefix of the produced text (duplicate, gap or reordering): they differ at {at} of {text.Length}");
            }

            if (text.Length < state.Acknowledged)
            {
                problems.Add($"acknowledged text lost: {text.Length} stored, {state.Acknowledged} acknowledged");
            }

            if (!state.Killed && (read.Status != ChatReplyStatus.Complete || text.Length != produced.Length))
            {
                problems.Add($"survivor not complete: the writer survived but the reply is {read.Status}/{read.Reason} with {text.Length} of {produced.Length} characters");
            }

            if (state.Killed && !(read.Status == ChatReplyStatus.Interrupted && read.Reason == ChatReplyReason.LeaseExpired)
                && !(read.Status == ChatReplyStatus.Complete && text.Length == produced.Length))
            {
                problems.Add($"killed writer's reply not ended: it is {read.Status}/{read.Reason} (expected Interrupted/LeaseExpired, or Complete if it ended first)");
            }

            // The reply is in the history once, right after its question, with the same text.
            var page = await store.GetMessagesAsync(state.User, state.Session, new ChatHistoryRequest { PageSize = 10 }, cancellationToken);
            if (page.Messages.Count != 2 || page.Messages[0].Role != ChatMessageRole.User || page.Messages[1].Id != state.Reply || page.Messages[1].Content != text)
            {
                problems.Add($"history wrong: not [question, reply] with the same text ({page.Messages.Count} messages)");
            }
        }

        return new StreamingReplyOutcome
        {
            UserId = state.User,
            SessionId = state.Session,
            ReplyId = state.Reply,
            Killed = state.Killed,
            BeginAcknowledged = state.Begun,
            AcknowledgedLength = state.Acknowledged,
            EndAcknowledged = state.Ended,
            ProducedText = produced,
            StoredText = read?.Text,
            Status = read?.Status,
            Reason = read?.Reason,
            Problems = problems,
        };
    }

    private static void Print(StreamingLoadResult r, TextWriter log)
    {
        var seconds = Math.Max(r.StreamingTime.TotalSeconds, 0.001);
        var killed = r.Replies.Where(o => o.Killed).ToList();
        log.WriteLine($"streaming time (first begin → last end): {seconds:F1} s");
        log.WriteLine($"chunks stored: {r.ChunksStored:N0} = {r.ChunksStored / seconds:N0} chunks/s overall; {r.ChunksPerSecondPerReply:F1} chunks/s per surviving reply");
        log.WriteLine($"flushes acknowledged: {r.Flushes:N0} = {r.Flushes / seconds:N0}/s; flush latency p50 {r.FlushP50Milliseconds:F1} ms, p99 {r.FlushP99Milliseconds:F1} ms");
        log.WriteLine($"reads by a resuming reader on another connection ({(r.Replies.Count + 4) / 5} replies, every 250 ms): {r.ReaderReads:N0}, each continuing a prefix");
        log.WriteLine($"retries (transient failures retried by the writers): {r.Retries}; kills: {r.Kills} ({killed.Count} replies); PostgreSQL restart: {(r.Restarted ? $"{r.RestartDuration.TotalSeconds:F1} s" : "none")}");
        var beyond = r.Replies.Where(o => (o.StoredText?.Length ?? 0) > o.AcknowledgedLength).ToList();
        log.WriteLine($"stored beyond the last acknowledged offset (committed, acknowledgement not received): {beyond.Count} replies, {beyond.Sum(o => o.StoredText!.Length - o.AcknowledgedLength):N0} characters");
        log.WriteLine($"killed writers' replies: {killed.Count(o => o.Status == ChatReplyStatus.Interrupted && o.Reason == ChatReplyReason.LeaseExpired)} Interrupted/LeaseExpired, {killed.Count(o => o.Status == ChatReplyStatus.Complete)} Complete (ended before the kill)");
        var failed = r.Replies.Where(o => o.Problems.Count > 0).ToList();
        foreach (var reply in failed.Take(10))
        {
            log.WriteLine($"PROBLEM in reply {reply.ReplyId}: {string.Join("; ", reply.Problems)}");
        }

        foreach (var kind in failed.SelectMany(o => o.Problems).GroupBy(p => p.Split(':')[0]))
        {
            log.WriteLine($"problem in {kind.Count()} replies: {kind.Key}");
        }

        log.WriteLine(failed.Count == 0
            ? $"verification: OK — {r.Replies.Count} replies, {r.CharactersVerified:N0} characters: every acknowledged chunk stored exactly once, in order; nothing beyond what was produced"
            : $"verification: FAILED in {failed.Count} of {r.Replies.Count} replies");
    }

    private static double Percentile(double[] sorted, double percentile) =>
        sorted.Length == 0 ? 0 : sorted[Math.Min(sorted.Length - 1, Math.Max(0, (int)Math.Ceiling(percentile / 100 * sorted.Length) - 1))];
}
