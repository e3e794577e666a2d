using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using ChatPersistence.Sdk.Diagnostics;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace ChatPersistence.Sdk.Decorators.Tests;

/// <summary>Spans, metrics and logs of the telemetry and logging decorators over a real store.</summary>
public abstract class ObservabilityTests : IAsyncLifetime, IDisposable
{
    private static readonly ActivitySource TestSource = new("ChatPersistence.Sdk.Decorators.Tests");
    private readonly ConcurrentQueue<Activity> _activities = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _measurements = new();
    private readonly CollectingLoggerProvider _logs = new();
    private ActivityListener _activityListener = null!;
    private MeterListener _meterListener = null!;
    private ServiceProvider _services = null!;
    private Activity? _root;

    protected BackingStore Backing { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Backing = await CreateBackingAsync();
        _root = null;
        _activityListener = new ActivityListener
        {
            ShouldListenTo = s => s.Name is ChatPersistenceDiagnostics.ActivitySourceName or "ChatPersistence.Sdk.Decorators.Tests",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (_root is not null && a.TraceId == _root.TraceId && a != _root)
                {
                    _activities.Enqueue(a);
                }
            },
        };
        ActivitySource.AddActivityListener(_activityListener);
    }

    public void Dispose()
    {
        _activityListener?.Dispose();
        _meterListener?.Dispose();
        _logs.Dispose();
        GC.SuppressFinalize(this);
    }

    public async Task DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        await Backing.DisposeAsync();
    }

    [Fact]
    public async Task Every_operation_is_a_client_span_with_database_conventions_and_no_content()
    {
        var store = Build(b => b.UseTelemetry(), LogLevel.Information);
        var user = await Backing.NewUserAsync();
        using (_root = TestSource.StartActivity("test"))
        {
            var session = await store.GetOrCreateSessionAsync(user, "wf");
            await store.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("secret text one"), NewChatMessage.User("secret text two")]);
            await store.GetMessagesAsync(user, session.Id);
            await FluentActions.Awaiting(() => store.ClearSessionAsync(user, Guid.NewGuid())).Should().ThrowAsync<ChatNotFoundException>();
        }

        var spans = _activities.ToList();
        spans.Select(a => a.DisplayName).Should().Equal("get_or_create_session chat_sessions", "append_messages chat_messages", "read_messages chat_messages", "clear_session chat_messages");
        spans.Should().OnlyContain(a => a.Kind == ActivityKind.Client && (string?)a.GetTagItem("db.system.name") == ExpectedSystem);
        var append = spans[1];
        append.GetTagItem("db.operation.name").Should().Be("append_messages");
        append.GetTagItem("db.collection.name").Should().Be("chat_messages");
        append.GetTagItem("db.operation.batch.size").Should().Be(2);
        spans[3].Status.Should().Be(ActivityStatusCode.Error);
        spans[3].GetTagItem("error.type").Should().Be(typeof(ChatNotFoundException).FullName);
        spans.SelectMany(a => a.TagObjects).Select(t => t.Value?.ToString()).Should().NotContain(v => v != null && (v.Contains("secret", StringComparison.Ordinal) || v == user));
    }

    [Fact]
    public async Task Spans_name_the_store_at_the_bottom_of_the_chain_when_other_decorators_stand_between()
    {
        // The documented order: telemetry outermost, the cache (and logging) between it and the store.
        var store = Build(b => b.UseTelemetry().UseLogging().UseCaching(), LogLevel.Information);
        var user = await Backing.NewUserAsync();
        using (_root = TestSource.StartActivity("test"))
        {
            var session = await store.GetOrCreateSessionAsync(user, "wf");
            await store.GetMessagesAsync(user, session.Id);
        }

        var spans = _activities.ToList();
        spans.Should().HaveCount(2);
        spans.Should().OnlyContain(a => (string?)a.GetTagItem("db.system.name") == ExpectedSystem);
    }

    [Fact]
    public async Task Metrics_record_durations_in_seconds_appended_messages_and_errors_by_type()
    {
        var store = Build(b => b.UseTelemetry(), LogLevel.Information);
        var user = await Backing.NewUserAsync();
        var session = await store.GetOrCreateSessionAsync(user, "wf");
        await store.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("a"), NewChatMessage.User("b"), NewChatMessage.User("c")]);
        await FluentActions.Awaiting(() => store.RenameSessionAsync(user, Guid.NewGuid(), "x")).Should().ThrowAsync<ChatNotFoundException>();

        var measurements = _measurements.ToList();
        var durations = measurements.Where(m => m.Instrument == ChatPersistenceDiagnostics.OperationDurationInstrument).ToList();
        durations.Should().HaveCount(3).And.OnlyContain(m => m.Value >= 0 && m.Value < 60);
        durations.Select(m => m.Tags["db.operation.name"]).Should().Equal("get_or_create_session", "append_messages", "rename_session");
        durations[2].Tags["error.type"].Should().Be(typeof(ChatNotFoundException).FullName);
        measurements.Where(m => m.Instrument == ChatPersistenceDiagnostics.MessagesAppendedInstrument).Sum(m => m.Value).Should().Be(3);
        measurements.Where(m => m.Instrument == ChatPersistenceDiagnostics.ErrorsInstrument).Should().ContainSingle()
            .Which.Tags["db.operation.name"].Should().Be("rename_session");
    }

    [Fact]
    public async Task Logs_have_stable_event_ids_and_message_text_only_at_trace()
    {
        var debug = Build(b => b.UseLogging(), LogLevel.Debug);
        var user = await Backing.NewUserAsync();
        var session = await debug.GetOrCreateSessionAsync(user, "wf");
        await debug.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("private words")]);
        await FluentActions.Awaiting(() => debug.GetMessagesAsync(user, Guid.NewGuid())).Should().ThrowAsync<ChatNotFoundException>();
        await FluentActions.Awaiting(() => debug.GetOrCreateSessionAsync(user, "")).Should().ThrowAsync<ArgumentException>();

        var entries = _logs.Entries.ToList();
        entries.Should().OnlyContain(e => e.Category == ChatPersistenceDiagnostics.LoggerCategory);
        entries.Select(e => e.EventId.Id).Should().Contain([1000, 1001, 1012, 1011]);
        entries.Should().NotContain(e => e.Message.Contains("private words", StringComparison.Ordinal));
        entries.Single(e => e.EventId.Id == 1011).Level.Should().Be(LogLevel.Warning);

        _logs.Entries.Clear();
        var trace = Build(b => b.UseLogging(), LogLevel.Trace);
        await trace.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("visible at trace")]);
        _logs.Entries.Should().Contain(e => e.EventId.Id == 1002 && e.Level == LogLevel.Trace && e.Message.Contains("visible at trace", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Decorators_compose_in_the_order_added_so_outer_ones_see_cache_hits()
    {
        var user = await Backing.NewUserAsync();
        var outer = Build(b => b.UseTelemetry().UseCaching(), LogLevel.Information);
        using (_root = TestSource.StartActivity("outer"))
        {
            await outer.GetOrCreateSessionAsync(user, "wf");
            await outer.GetOrCreateSessionAsync(user, "wf");
        }

        _activities.Should().HaveCount(2, "telemetry outside the cache traces the hit too");
        _activities.Clear();

        var inner = Build(b => b.UseCaching().UseTelemetry(), LogLevel.Information);
        using (_root = TestSource.StartActivity("inner"))
        {
            await inner.GetOrCreateSessionAsync(user, "wf2");
            await inner.GetOrCreateSessionAsync(user, "wf2");
        }

        _activities.Should().ContainSingle("telemetry inside the cache sees only the call that reached the store");
    }

    protected abstract string ExpectedSystem { get; }

    protected abstract Task<BackingStore> CreateBackingAsync();

    private IChatSessionStore Build(Func<ChatPersistenceBuilder, ChatPersistenceBuilder> decorate, LogLevel minimum)
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddLogging(l => l.SetMinimumLevel(minimum).AddProvider(_logs));
        var inner = Backing.OpenStore();
        decorate(services.AddChatPersistence()).UseStore(_ => inner);
        var provider = services.BuildServiceProvider();
        var meter = provider.GetRequiredService<IMeterFactory>().Create(ChatPersistenceDiagnostics.MeterName);
        _meterListener?.Dispose();
        _meterListener = new MeterListener
        {
            InstrumentPublished = (instrument, listener) =>
            {
                if (ReferenceEquals(instrument.Meter, meter))
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            },
        };
        _meterListener.SetMeasurementEventCallback<double>((i, v, tags, _) => _measurements.Enqueue((i.Name, v, ToDictionary(tags))));
        _meterListener.SetMeasurementEventCallback<long>((i, v, tags, _) => _measurements.Enqueue((i.Name, v, ToDictionary(tags))));
        _meterListener.Start();
        _services = provider;
        return provider.GetRequiredService<IChatSessionStore>();
    }

    private static Dictionary<string, object?> ToDictionary(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var result = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            result[tag.Key] = tag.Value;
        }

        return result;
    }
}

public sealed class InMemoryObservabilityTests : ObservabilityTests
{
    protected override string ExpectedSystem => "chatpersistence.in_memory";

    protected override Task<BackingStore> CreateBackingAsync() => Task.FromResult<BackingStore>(new InMemoryBacking());
}

public sealed class SqliteObservabilityTests : ObservabilityTests
{
    protected override string ExpectedSystem => "sqlite";

    protected override Task<BackingStore> CreateBackingAsync() => Task.FromResult<BackingStore>(new SqliteBacking());
}
