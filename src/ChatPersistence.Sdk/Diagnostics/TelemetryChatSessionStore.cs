using System.Diagnostics;
using System.Diagnostics.Metrics;
using ChatPersistence.Sdk.Diagnostics;

namespace ChatPersistence.Sdk.Internal;

/// <summary>
/// One client span and one duration measurement per store operation, following OpenTelemetry's database client semantic
/// conventions (span name <c>{db.operation.name} {db.collection.name}</c>; <c>db.system.name</c>, <c>db.operation.name</c>,
/// <c>db.collection.name</c>, <c>db.operation.batch.size</c>, <c>db.response.status_code</c>, <c>error.type</c>).
/// No user id, message text or metadata is ever recorded.
/// </summary>
internal sealed class TelemetryChatSessionStore : ObservedChatSessionStore
{
    private static readonly ActivitySource Source = new(ChatPersistenceDiagnostics.ActivitySourceName, typeof(TelemetryChatSessionStore).Assembly.GetName().Version?.ToString());
    private readonly string _system;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _appended;
    private readonly Counter<long> _errors;

    public TelemetryChatSessionStore(IChatSessionStore innerStore, Meter meter)
        : base(innerStore)
    {
        _system = SystemName(innerStore);
        _duration = meter.CreateHistogram(
            ChatPersistenceDiagnostics.OperationDurationInstrument, "s", "Duration of chat store operations.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10] });
        _appended = meter.CreateCounter<long>(ChatPersistenceDiagnostics.MessagesAppendedInstrument, "{message}", "Messages returned by successful appends.");
        _errors = meter.CreateCounter<long>(ChatPersistenceDiagnostics.ErrorsInstrument, "{error}", "Failed chat store operations.");
    }

    protected override async Task<T> ObserveAsync<T>(StoreOperation operation, Func<Task<T>> call)
    {
        using var activity = Source.StartActivity(operation.Name + " " + operation.Collection, ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag("db.system.name", _system);
            activity.SetTag("db.operation.name", operation.Name);
            activity.SetTag("db.collection.name", operation.Collection);
            if (operation.BatchSize is > 1 and var batch)
            {
                activity.SetTag("db.operation.batch.size", batch);
            }

            if (operation.SessionId is { } session)
            {
                activity.SetTag("chatpersistence.session.id", session.ToString());
            }
        }

        var started = Stopwatch.GetTimestamp();
        var tags = new TagList
        {
            { "db.system.name", _system },
            { "db.operation.name", operation.Name },
            { "db.collection.name", operation.Collection },
        };
        try
        {
            var result = await call().ConfigureAwait(false);
            if (result is IReadOnlyList<StoredChatMessage> stored && operation.Name == "append_messages")
            {
                _appended.Add(stored.Count, tags);
            }

            return result;
        }
        catch (Exception ex)
        {
            var errorType = ex.GetType().FullName ?? ex.GetType().Name;
            tags.Add("error.type", errorType);
            _errors.Add(1, tags);
            if (activity is not null)
            {
                activity.SetTag("error.type", errorType);
                if (ex is ChatPersistenceException { ErrorCode: { } code })
                {
                    activity.SetTag("db.response.status_code", code);
                }

                activity.SetStatus(ActivityStatusCode.Error, ex.GetType().Name);
            }

            throw;
        }
        finally
        {
            _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, tags);
        }
    }

    // OpenTelemetry's well-known db.system.name values where they apply, named by the store at the bottom of the decorator
    // chain (a cache or logging decorator may stand between this one and the store; the chain is built innermost first).
    private static string SystemName(IChatSessionStore store)
    {
        while (store is DelegatingChatSessionStore decorator)
        {
            store = decorator.InnerStore;
        }

        var name = store.GetType().Name;
        return name.Contains("Sqlite", StringComparison.Ordinal) ? "sqlite"
            : name.Contains("Postgres", StringComparison.Ordinal) || name.Contains("Supabase", StringComparison.Ordinal) ? "postgresql"
            : name.Contains("InMemory", StringComparison.Ordinal) ? "chatpersistence.in_memory"
            : "other_sql";
    }
}
