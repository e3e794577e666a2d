using System.Runtime.ExceptionServices;
using System.Text;
using System.Text.Json;
using ChatPersistence.Sdk.Internal;

namespace ChatPersistence.Sdk;

/// <summary>
/// Writes one assistant reply while it is produced: begins it (<see cref="StartAsync"/>), takes text as it arrives
/// (<see cref="Append"/>, no I/O), stores it in the background at most once per flush interval, and ends it with its last
/// text in one round trip (<see cref="CompleteAsync"/>, <see cref="EndAsync"/>). The one way hosts and the AI layer write a
/// streaming reply.
/// </summary>
/// <remarks>
/// <para>
/// Flushes: at most one round trip per <see cref="ChatReplyWriterOptions.FlushInterval"/> while text arrives, none while idle,
/// except a heartbeat (an empty grow that renews the lease) when nothing was stored for a third of the reply's lease (a long
/// tool call). A flush that fails transiently is retried with the same offset and text (the store accepts it once), with a
/// growing delay; when the lease is at risk the writer stops flushing and the end is written as
/// <see cref="ChatReplyStatus.Interrupted"/>/<see cref="ChatReplyReason.Failed"/>.
/// </para>
/// <para>
/// Text: every flush is well-formed UTF-16: a trailing high surrogate is held back until the next <see cref="Append"/> or the
/// end, so a pair split across two appends is stored whole, and the stored text equals the concatenation of the appended
/// text exactly. An unpaired surrogate (ill-formed input) is stored as U+FFFD, keeping every length and offset.
/// </para>
/// <para>
/// Ended by the store: when a flush finds the reply ended (<see cref="ChatReplyEndedException"/>: too large, lease expired) or
/// gone (<see cref="ChatNotFoundException"/>: the session was cleared or deleted), the writer ends quietly: further
/// <see cref="Append"/> calls are ignored, <see cref="FlushAsync"/> rethrows that exception, and the end writes nothing and
/// returns the stored message (or rethrows the <see cref="ChatNotFoundException"/>, since there is no message any more).
/// </para>
/// <para>Thread-safety: <see cref="Append"/> may be called from any thread, concurrently with the background flush; end the reply once.</para>
/// </remarks>
public sealed class ChatReplyWriter : IAsyncDisposable
{
    private static readonly TimeSpan MaxFlushInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan DefaultLease = new ChatReplyOptions().Lease;
    private const string DisposedDetail = "The writer was disposed before the end.";
    private const char ReplacementCharacter = '\uFFFD';

    private readonly IChatSessionStore _store;
    private readonly string _userId;
    private readonly TimeProvider _time;
    private readonly TimeSpan _interval;
    private readonly TimeSpan _lease;
    private readonly TimeSpan _endTimeout;
    private readonly Lock _gate = new();
    private readonly StringBuilder _pending = new();
    private readonly SemaphoreSlim _io = new(1, 1);
    private readonly CancellationTokenSource _stopRequested = new();
    private readonly CancellationTokenSource _loopStop = new();
    private readonly Task _loop;

    private bool _hasHeldHighSurrogate;
    private char _heldHighSurrogate;
    private long _length;
    private long _flushedLength;
    private ReplyChunk? _inflight;
    private TaskCompletionSource? _wake;
    private Exception? _endedByStore;
    private Exception? _fault;
    private bool _closing;
    private int _failures;
    private long _lastTrip;
    private long _lastProgress;
    private Task<StoredChatMessage>? _end;

    private ChatReplyWriter(IChatSessionStore store, string userId, StoredChatMessage message, TimeSpan interval, TimeSpan lease, ChatReplyWriterOptions options, TimeProvider time)
    {
        _store = store;
        _userId = userId;
        Message = message;
        _interval = interval;
        _lease = lease;
        _endTimeout = options.EndTimeout;
        _time = time;
        _lastTrip = _lastProgress = time.GetTimestamp();
        _length = _flushedLength = message.Content.Length;
        if (message.Status != ChatReplyStatus.Streaming)
        {
            _endedByStore = ChatReplyEndedException.For(message.Id, message.Status, message.Reason, message.Content.Length);
        }

        if (message.Reason == ChatReplyReason.StopRequested)
        {
            _stopRequested.Cancel();
        }

        _loop = _endedByStore is null ? Task.Run(RunAsync) : Task.CompletedTask;
        if (_endedByStore is null && !_stopRequested.IsCancellationRequested && options.ChangeFeed is { } feed)
        {
            _ = WatchForStopAsync(feed, _loopStop.Token);
        }
    }

    /// <summary>The reply as begun (status <see cref="ChatReplyStatus.Streaming"/>): its id, sequence number and creation time.</summary>
    public StoredChatMessage Message { get; }

    /// <summary>The text accepted so far, flushed or not, in UTF-16 code units.</summary>
    public long Length
    {
        get
        {
            lock (_gate)
            {
                return _length;
            }
        }
    }

    /// <summary>The text the store has acknowledged, in UTF-16 code units.</summary>
    public long FlushedLength
    {
        get
        {
            lock (_gate)
            {
                return _flushedLength;
            }
        }
    }

    /// <summary>
    /// Cancelled when someone asked to stop the reply (<see cref="IChatSessionStore.StopReplyAsync"/>, from any instance), as
    /// learnt from a flush. The owner should stop producing and end the reply; disposing the writer without an end then
    /// stores it as <see cref="ChatReplyStatus.Stopped"/>/<see cref="ChatReplyReason.StopRequested"/>.
    /// </summary>
    public CancellationToken StopRequested => _stopRequested.Token;

    /// <summary>Begins a reply in the store (one round trip, transient failures retried) and starts its writer.</summary>
    /// <param name="store">The store; it must keep replies in progress (<see cref="ChatStoreCapabilities.Replies"/>).</param>
    /// <param name="userId">The owner.</param>
    /// <param name="sessionId">The session the reply belongs to.</param>
    /// <param name="reply">The reply's id, initial metadata and lease.</param>
    /// <param name="options">The writer's settings; <see langword="null"/> uses the defaults.</param>
    /// <param name="cancellationToken">Cancels the begin.</param>
    /// <returns>The writer, which owns the reply until it is ended or disposed.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The flush interval is not in (0, 10 s] or the end timeout is not positive.</exception>
    /// <exception cref="ArgumentException">The reply is invalid (see <see cref="IChatSessionStore.BeginReplyAsync"/>).</exception>
    /// <exception cref="NotSupportedException">The store does not keep replies in progress.</exception>
    /// <exception cref="ChatNotFoundException">The session does not exist or is not the user's.</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    public static async Task<ChatReplyWriter> StartAsync(IChatSessionStore store, string userId, Guid sessionId, NewChatReply reply, ChatReplyWriterOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(userId);
        ArgumentNullException.ThrowIfNull(reply);
        options ??= new ChatReplyWriterOptions();
        var interval = options.FlushInterval ?? store.Capabilities.ReplyFlushInterval;
        if (interval <= TimeSpan.Zero || interval > MaxFlushInterval)
        {
            throw new ArgumentOutOfRangeException(nameof(options), interval, $"The flush interval must be more than zero and at most {MaxFlushInterval}.");
        }

        if (options.EndTimeout <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.EndTimeout, "The end timeout must be positive.");
        }

        var time = options.TimeProvider ?? TimeProvider.System;
        var message = await ReplyRetry.RunAsync(ct => store.BeginReplyAsync(userId, sessionId, reply, ct), interval, time, cancellationToken).ConfigureAwait(false);
        return new ChatReplyWriter(store, userId, message, interval, LeaseOf(reply, message), options, time);
    }

    /// <summary>Adds text to the reply. Never does I/O: the text is stored by the next flush or the end. Ignored once the reply has ended.</summary>
    /// <param name="text">The text; may be empty, may end in the first half of a surrogate pair (the second half comes with the next call).</param>
    /// <exception cref="InvalidOperationException">The owner already ended the reply (<see cref="CompleteAsync"/>, <see cref="EndAsync"/>, <see cref="DisposeAsync"/>).</exception>
    public void Append(ReadOnlySpan<char> text)
    {
        lock (_gate)
        {
            if (_end is not null || _closing)
            {
                throw new InvalidOperationException("The reply has been ended by its writer; no more text can be added.");
            }

            if (text.IsEmpty || _endedByStore is not null || _fault is not null)
            {
                return;
            }

            var before = _pending.Length;
            var i = 0;
            if (_hasHeldHighSurrogate)
            {
                _hasHeldHighSurrogate = false;
                if (char.IsLowSurrogate(text[0]))
                {
                    _pending.Append(_heldHighSurrogate).Append(text[0]);
                    i = 1;
                }
                else
                {
                    _pending.Append(ReplacementCharacter);
                }
            }

            for (; i < text.Length; i++)
            {
                var c = text[i];
                if (char.IsHighSurrogate(c))
                {
                    if (i + 1 == text.Length)
                    {
                        _hasHeldHighSurrogate = true;
                        _heldHighSurrogate = c;
                    }
                    else if (char.IsLowSurrogate(text[i + 1]))
                    {
                        _pending.Append(c).Append(text[i + 1]);
                        i++;
                    }
                    else
                    {
                        _pending.Append(ReplacementCharacter);
                    }
                }
                else
                {
                    _pending.Append(char.IsLowSurrogate(c) ? ReplacementCharacter : c);
                }
            }

            _length += text.Length;
            if (before == 0 && _pending.Length > 0)
            {
                _wake?.TrySetResult();
            }
        }
    }

    /// <summary>Stores the text appended so far (but a held-back high surrogate) now, in one round trip, whatever the flush interval.</summary>
    /// <param name="cancellationToken">Cancels the flush; the text stays pending and the next flush sends the same chunk.</param>
    /// <returns>A task that completes when the store has acknowledged the text.</returns>
    /// <exception cref="ChatReplyEndedException">The reply has ended in the store.</exception>
    /// <exception cref="ChatNotFoundException">The reply is gone (the session was cleared or deleted).</exception>
    /// <exception cref="ChatPersistenceException">The store failed (when transient, the next flush retries the same chunk).</exception>
    public async ValueTask FlushAsync(CancellationToken cancellationToken = default)
    {
        long target;
        lock (_gate)
        {
            target = _length - (_hasHeldHighSurrogate ? 1 : 0);
        }

        while (true)
        {
            // More than one round trip only when the store refused a chunk as too large alone and it was cut in two.
            await FlushCoreAsync(heartbeat: false, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                var failure = _endedByStore ?? _fault;
                if (failure is not null)
                {
                    ExceptionDispatchInfo.Throw(failure);
                }

                if (_flushedLength >= target || (_inflight is null && _pending.Length == 0))
                {
                    return;
                }
            }
        }
    }

    /// <summary>Ends the reply as <see cref="ChatReplyStatus.Complete"/>, storing its last text with the end in one round trip.</summary>
    /// <param name="metadata">The final metadata (a JSON object), replacing the one given at begin; <see langword="null"/> keeps it.</param>
    /// <param name="cancellationToken">Stops waiting; the end is otherwise bounded by <see cref="ChatReplyWriterOptions.EndTimeout"/>.</param>
    /// <returns>The stored reply: compare its <see cref="StoredChatMessage.Status"/>, an earlier end (a stop, an expired lease) wins.</returns>
    /// <exception cref="ChatNotFoundException">The reply is gone (the session was cleared or deleted).</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    public Task<StoredChatMessage> CompleteAsync(JsonElement? metadata = null, CancellationToken cancellationToken = default) =>
        EndAsync(ChatReplyStatus.Complete, ChatReplyReason.None, null, metadata, cancellationToken);

    /// <summary>
    /// Ends the reply with a status and reason, storing its last text with the end in one round trip. Only the first end of a
    /// writer counts: later calls return the same result.
    /// </summary>
    /// <param name="status">The final status: <see cref="ChatReplyStatus.Complete"/>, <see cref="ChatReplyStatus.Stopped"/> or <see cref="ChatReplyStatus.Interrupted"/>.</param>
    /// <param name="reason">Why: <see cref="ChatReplyReason.None"/> exactly when the status is <see cref="ChatReplyStatus.Complete"/>.</param>
    /// <param name="detail">A short human-readable detail (at most <see cref="ChatPersistenceLimits.MaxReasonDetailLength"/> characters); only with a reason.</param>
    /// <param name="metadata">The final metadata (a JSON object), replacing the one given at begin; <see langword="null"/> keeps it.</param>
    /// <param name="cancellationToken">Stops waiting; the end is otherwise bounded by <see cref="ChatReplyWriterOptions.EndTimeout"/>.</param>
    /// <returns>The stored reply: compare its <see cref="StoredChatMessage.Status"/>, an earlier end (a stop, an expired lease) wins.</returns>
    /// <exception cref="ArgumentException">The status is <see cref="ChatReplyStatus.Streaming"/>, or the reason does not fit the status.</exception>
    /// <exception cref="ChatNotFoundException">The reply is gone (the session was cleared or deleted).</exception>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    public Task<StoredChatMessage> EndAsync(ChatReplyStatus status, ChatReplyReason reason, string? detail = null, JsonElement? metadata = null, CancellationToken cancellationToken = default)
    {
        if (!Enum.IsDefined(status) || status == ChatReplyStatus.Streaming)
        {
            throw new ArgumentException("A reply ends as Complete, Stopped or Interrupted.", nameof(status));
        }

        if (!Enum.IsDefined(reason) || (reason == ChatReplyReason.None) != (status == ChatReplyStatus.Complete))
        {
            throw new ArgumentException("The reason must be None exactly when the status is Complete.", nameof(reason));
        }

        lock (_gate)
        {
            if (_end is null)
            {
                _closing = true;
                _wake?.TrySetResult();
                _end = EndCoreAsync(status, reason, detail, metadata, cancellationToken);
            }

            return _end;
        }
    }

    /// <summary>
    /// Ends the reply if the owner did not: <see cref="ChatReplyStatus.Stopped"/>/<see cref="ChatReplyReason.StopRequested"/>
    /// when a stop was requested, else <see cref="ChatReplyStatus.Interrupted"/>/<see cref="ChatReplyReason.Failed"/>
    /// ("the writer was disposed before the end"), with the text so far. Never throws.
    /// </summary>
    /// <returns>A task that completes when the end is written or has failed.</returns>
    public async ValueTask DisposeAsync()
    {
        Task<StoredChatMessage> end;
        lock (_gate)
        {
            end = _end ?? (_stopRequested.IsCancellationRequested
                ? EndAsync(ChatReplyStatus.Stopped, ChatReplyReason.StopRequested)
                : EndAsync(ChatReplyStatus.Interrupted, ChatReplyReason.Failed, DisposedDetail));
        }

        try
        {
            await end.ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Dispose never throws: the end is best effort here, the reply's lease covers a failure.
        catch (Exception)
#pragma warning restore CA1031
        {
        }

        _loopStop.Dispose();
    }

    private static TimeSpan LeaseOf(NewChatReply reply, StoredChatMessage message)
    {
        if (reply.Lease is { } lease)
        {
            return lease;
        }

        // The store's own clock on both sides: the lease given at begin, whatever the clocks of this machine and the store.
        var derived = message.LeaseExpiresAt is { } expires ? expires - message.CreatedAt : DefaultLease;
        return derived >= ChatPersistenceLimits.MinReplyLease && derived <= ChatPersistenceLimits.MaxReplyLease ? derived : DefaultLease;
    }

    private async Task RunAsync()
    {
        var token = _loopStop.Token;
        try
        {
            while (true)
            {
                Task wake;
                lock (_gate)
                {
                    if (_closing || _endedByStore is not null || _fault is not null)
                    {
                        return;
                    }

                    if (_pending.Length == 0 && _inflight is null)
                    {
                        _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        wake = _wake.Task;
                    }
                    else
                    {
                        wake = Task.CompletedTask;
                    }
                }

                if (!wake.IsCompleted)
                {
                    var untilHeartbeat = (_lease / 3) - _time.GetElapsedTime(Volatile.Read(ref _lastTrip));
                    if (untilHeartbeat > TimeSpan.Zero)
                    {
                        using var timer = CancellationTokenSource.CreateLinkedTokenSource(token);
                        await Task.WhenAny(wake, Task.Delay(untilHeartbeat, _time, timer.Token)).ConfigureAwait(false);
                        await timer.CancelAsync().ConfigureAwait(false);
                    }

                    token.ThrowIfCancellationRequested();
                }

                var spacing = _interval * (1 << Math.Min(_failures, 4));
                var wait = spacing - _time.GetElapsedTime(Volatile.Read(ref _lastTrip));
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, token).ConfigureAwait(false);
                }

                try
                {
                    await FlushCoreAsync(heartbeat: true, token).ConfigureAwait(false);
                    _failures = 0;
                }
                catch (ChatPersistenceException ex) when (ex.IsTransient)
                {
                    _failures++;
                    if (_time.GetElapsedTime(Volatile.Read(ref _lastProgress)) > _lease * 2 / 3)
                    {
                        // The lease is at risk: stop flushing; the end is written as Interrupted/Failed.
                        lock (_gate)
                        {
                            _fault = ex;
                        }

                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // The loop never faults: a failure is kept in _fault and reported by the end.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private async Task FlushCoreAsync(bool heartbeat, CancellationToken cancellationToken)
    {
        await _io.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ReplyChunk chunk;
            lock (_gate)
            {
                if (TakeChunk() is { } next)
                {
                    chunk = next;
                }
                else if (heartbeat && _endedByStore is null && _fault is null && _time.GetElapsedTime(Volatile.Read(ref _lastTrip)) >= _lease / 3)
                {
                    chunk = new ReplyChunk(_flushedLength, "");
                }
                else
                {
                    return;
                }
            }

            await GrowAsync(chunk, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _io.Release();
        }
    }

    /// <summary>
    /// The chunk to send next — the one in flight (its result unknown), else the pending text — or <see langword="null"/> when
    /// there is none or the reply has ended; called holding <see cref="_gate"/>.
    /// </summary>
    private ReplyChunk? TakeChunk()
    {
        if (_endedByStore is not null || _fault is not null)
        {
            return null;
        }

        if (_inflight is null && _pending.Length > 0)
        {
            _inflight = new ReplyChunk(_flushedLength, _pending.ToString());
            _pending.Clear();
        }

        return _inflight;
    }

    /// <summary>Sends one chunk; called holding <see cref="_io"/>.</summary>
    private async Task GrowAsync(ReplyChunk chunk, CancellationToken cancellationToken)
    {
        ChatReplyProgress progress;
        try
        {
            progress = await _store.GrowReplyAsync(_userId, Message.Id, chunk.Offset, chunk.Text, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ChatReplyEndedException or ChatNotFoundException)
        {
            lock (_gate)
            {
                _endedByStore = ex;
                _inflight = null;
                _pending.Clear();
                _hasHeldHighSurrogate = false;
            }

            return;
        }
        catch (ChatPersistenceException ex) when (ex.IsTransient)
        {
            Volatile.Write(ref _lastTrip, _time.GetTimestamp());
            throw;
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (ArgumentException) when (SplitPoint(chunk.Text) is var split and > 0)
        {
            // The chunk alone is over the store's size limit (the writer does not know the limit): send it in two parts, so
            // the reply grows up to the limit and the store ends it as Interrupted/TooLarge where it no longer fits.
            var first = new ReplyChunk(chunk.Offset, chunk.Text[..split]);
            lock (_gate)
            {
                _inflight = first;
                _pending.Insert(0, chunk.Text[split..]);
            }

            await GrowAsync(first, cancellationToken).ConfigureAwait(false);
            return;
        }
        catch (Exception ex)
        {
            lock (_gate)
            {
                _fault = ex;
            }

            throw;
        }

        var now = _time.GetTimestamp();
        Volatile.Write(ref _lastTrip, now);
        Volatile.Write(ref _lastProgress, now);
        lock (_gate)
        {
            _flushedLength = chunk.Offset + chunk.Text.Length;
            _inflight = null;
        }

        if (progress.StopRequested && !_stopRequested.IsCancellationRequested)
        {
            await _stopRequested.CancelAsync().ConfigureAwait(false);
        }
    }

    // Cancels StopRequested when the feed says someone asked to stop this reply; ends with the reply (or the writer's loop).
    // A feed that fails is not the writer's problem: the next flush or heartbeat still learns of a stop.
    private async Task WatchForStopAsync(ChangeFeed.IChatChangeFeed feed, CancellationToken token)
    {
        try
        {
            await foreach (var change in feed.WatchAsync(_userId, Message.SessionId, null, token).ConfigureAwait(false))
            {
                if (change.MessageId != Message.Id)
                {
                    continue;
                }

                if (change.Kind == ChangeFeed.ChatChangeKind.ReplyStopRequested)
                {
                    await _stopRequested.CancelAsync().ConfigureAwait(false);
                    return;
                }

                if (change.Kind == ChangeFeed.ChatChangeKind.ReplyEnded)
                {
                    return;
                }
            }
        }
#pragma warning disable CA1031 // The watch is an accelerator only; the flushes remain the source of truth.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private async Task<StoredChatMessage> EndCoreAsync(ChatReplyStatus status, ChatReplyReason reason, string? detail, JsonElement? metadata, CancellationToken cancellationToken)
    {
        await Task.Yield();
        await _loopStop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);

        using var timeout = new CancellationTokenSource(_endTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        var token = linked.Token;
        await _io.WaitAsync(token).ConfigureAwait(false);
        try
        {
            // A chunk whose fate is unknown (a flush cancelled or failed in flight) is sent again first, same offset and text.
            ReplyChunk? inflight;
            lock (_gate)
            {
                inflight = _endedByStore is null && _fault is null ? _inflight : null;
            }

            if (inflight is not null)
            {
                try
                {
                    await ReplyRetry.RunAsync(
                        async ct =>
                        {
                            await GrowAsync(inflight, ct).ConfigureAwait(false);
                            return true;
                        },
                        _interval,
                        _time,
                        token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Kept in _fault (not transient) or retried until the timeout; ended as Interrupted below.
                }
            }

            ChatReplyFinish finish;
            lock (_gate)
            {
                if (_endedByStore is ChatNotFoundException gone)
                {
                    ExceptionDispatchInfo.Throw(gone);
                }

                if (_endedByStore is not null)
                {
                    // The store ended it already: the first end wins, this end writes nothing and returns the stored reply.
                    finish = new ChatReplyFinish { Status = status, Reason = reason, ReasonDetail = detail, Metadata = metadata };
                }
                else if (_fault is not null || _inflight is not null)
                {
                    // What is stored is a prefix of what was appended: keep it, and say that the writer failed.
                    finish = new ChatReplyFinish
                    {
                        Status = ChatReplyStatus.Interrupted,
                        Reason = ChatReplyReason.Failed,
                        ReasonDetail = Truncate($"The reply could not be stored: {(_fault ?? new TimeoutException()).Message}"),
                        Metadata = metadata,
                    };
                }
                else
                {
                    if (_hasHeldHighSurrogate)
                    {
                        _pending.Append(ReplacementCharacter);
                        _hasHeldHighSurrogate = false;
                    }

                    finish = new ChatReplyFinish
                    {
                        Status = status,
                        Reason = reason,
                        ReasonDetail = detail,
                        Metadata = metadata,
                        Offset = _flushedLength,
                        Text = _pending.ToString(),
                    };
                }
            }

            StoredChatMessage stored;
            try
            {
                stored = await FinishAsync(finish, token).ConfigureAwait(false);
            }
            catch (ArgumentException) when (finish.Text.Length > 0)
            {
                // The tail alone is over the store's size limit: grow it in parts (the store ends the reply as TooLarge where it
                // no longer fits), then end with no text; an earlier end by the store wins.
                lock (_gate)
                {
                    _pending.Clear();
                    _pending.Append(finish.Text);
                }

                await DrainAsync(token).ConfigureAwait(false);
                lock (_gate)
                {
                    if (_endedByStore is ChatNotFoundException gone)
                    {
                        ExceptionDispatchInfo.Throw(gone);
                    }

                    finish = _fault is null && _inflight is null && _pending.Length == 0
                        ? finish with { Text = "", Offset = 0 }
                        : new ChatReplyFinish
                        {
                            Status = ChatReplyStatus.Interrupted,
                            Reason = ChatReplyReason.Failed,
                            ReasonDetail = Truncate($"The reply could not be stored: {(_fault ?? new TimeoutException()).Message}"),
                            Metadata = finish.Metadata,
                        };
                }

                stored = await FinishAsync(finish, token).ConfigureAwait(false);
            }

            lock (_gate)
            {
                if (finish.Text.Length > 0)
                {
                    _flushedLength = finish.Offset + finish.Text.Length;
                    _pending.Clear();
                }
            }

            return stored;
        }
        finally
        {
            _io.Release();
        }
    }

    private Task<StoredChatMessage> FinishAsync(ChatReplyFinish finish, CancellationToken cancellationToken) =>
        ReplyRetry.RunAsync(ct => _store.FinishReplyAsync(_userId, Message.Id, finish, ct), _interval, _time, cancellationToken);

    /// <summary>Sends every pending chunk (transient failures retried) until none is left or the reply has ended; called holding <see cref="_io"/>.</summary>
    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ReplyChunk chunk;
            lock (_gate)
            {
                if (TakeChunk() is not { } next)
                {
                    return;
                }

                chunk = next;
            }

            try
            {
                _ = await ReplyRetry.RunAsync(
                    async ct =>
                    {
                        await GrowAsync(chunk, ct).ConfigureAwait(false);
                        return true;
                    },
                    _interval,
                    _time,
                    cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Kept in _fault by GrowAsync (not transient); the end says the writer failed.
                return;
            }
        }
    }

    /// <summary>Where to cut a chunk in two without splitting a surrogate pair; 0 when it cannot be cut.</summary>
    private static int SplitPoint(string text)
    {
        var half = text.Length / 2;
        if (half > 0 && char.IsLowSurrogate(text[half]))
        {
            half = half > 1 ? half - 1 : half + 1;
        }

        return half > 0 && half < text.Length ? half : 0;
    }

    private static string Truncate(string detail) =>
        detail.Length <= ChatPersistenceLimits.MaxReasonDetailLength ? detail : detail[..ChatPersistenceLimits.MaxReasonDetailLength];
}
