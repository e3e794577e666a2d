using System.Diagnostics.Metrics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatPersistence.Sdk.Retention;

/// <summary>
/// A hosted service that periodically deletes sessions idle longer than <see cref="ChatRetentionOptions.MaxIdle"/>, in batches,
/// through <see cref="IChatSessionStore.DeleteIdleSessionsAsync"/>. Several host instances may run it at once: each batch is one
/// atomic delete of idle sessions (the PostgreSQL function skips rows another instance has locked), so instances never
/// delete the same session twice or wait on each other. A failed run is logged and retried at the next interval.
/// </summary>
public sealed partial class ChatRetentionService : BackgroundService
{
    /// <summary>The name of the meter that counts deleted sessions (<c>chat.retention.sessions_deleted</c>).</summary>
    public const string MeterName = "ChatPersistence.Sdk";

    private readonly IChatSessionStore _store;
    private readonly ChatRetentionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ChatRetentionService> _logger;
    private readonly Counter<long> _deleted;

    /// <summary>Creates the service (normally through <c>AddChatRetention</c>).</summary>
    /// <param name="store">The store to clean (the service role for Supabase / PostgreSQL).</param>
    /// <param name="options">The retention options.</param>
    /// <param name="timeProvider">The clock and timer source.</param>
    /// <param name="logger">The logger.</param>
    /// <param name="meterFactory">Creates the meter for the deleted-sessions counter; <see langword="null"/> (no metrics registered) uses a plain meter.</param>
    /// <exception cref="ArgumentNullException">A required argument is <see langword="null"/>.</exception>
    public ChatRetentionService(IChatSessionStore store, IOptions<ChatRetentionOptions> options, TimeProvider timeProvider, ILogger<ChatRetentionService> logger, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);
        _store = store;
        _options = options.Value;
        _time = timeProvider;
        _logger = logger;
        var meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _deleted = meter.CreateCounter<long>("chat.retention.sessions_deleted", "{session}", "Sessions deleted by the retention service.");
    }

    /// <summary>Runs one cleanup now: deletes every session idle longer than the configured age, batch by batch.</summary>
    /// <param name="cancellationToken">Cancels the cleanup between batches.</param>
    /// <returns>How many sessions were deleted.</returns>
    /// <exception cref="ChatPersistenceException">The store failed.</exception>
    public async Task<long> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        var cutoff = _time.GetUtcNow() - _options.MaxIdle;
        long total = 0;
        while (true)
        {
            var deleted = await _store.DeleteIdleSessionsAsync(cutoff, _options.BatchSize, cancellationToken).ConfigureAwait(false);
            total += deleted;
            _deleted.Add(deleted);
            if (deleted < _options.BatchSize)
            {
                break;
            }
        }

        LogDeleted(total, cutoff);
        return total;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_options.Interval, _time);
        do
        {
            try
            {
                await RunOnceAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (ChatPersistenceException ex)
            {
                LogFailed(ex, ex.IsTransient);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "Chat retention deleted {Count} session(s) idle since before {Cutoff:o}.")]
    private partial void LogDeleted(long count, DateTimeOffset cutoff);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Chat retention failed (transient: {Transient}); it runs again at the next interval.")]
    private partial void LogFailed(Exception exception, bool transient);
}
