using ChatPersistence.Sdk.Retention;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace ChatPersistence.Sdk.Tests.Retention;

public sealed class RetentionServiceTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task A_cleanup_deletes_sessions_idle_longer_than_the_maximum_in_batches()
    {
        await using var provider = Build(o =>
        {
            o.MaxIdle = TimeSpan.FromDays(30);
            o.BatchSize = 2;
        });
        var store = provider.GetRequiredService<IChatSessionStore>();
        for (var i = 0; i < 5; i++)
        {
            await store.GetOrCreateSessionAsync("u" + i, "old");
        }

        _time.Advance(TimeSpan.FromDays(20));
        var active = await store.GetOrCreateSessionAsync("u0", "recent");
        _time.Advance(TimeSpan.FromDays(15));

        var deleted = await provider.GetRequiredService<ChatRetentionService>().RunOnceAsync();

        deleted.Should().Be(5, "three batches: 2 + 2 + 1");
        (await store.GetSessionAsync("u0", active.Id)).Should().NotBeNull();
        (await store.ListSessionsAsync("u1")).Items.Should().BeEmpty();
    }

    [Fact]
    public async Task The_hosted_service_runs_at_start_and_then_every_interval()
    {
        await using var provider = Build(o =>
        {
            o.MaxIdle = TimeSpan.FromDays(1);
            o.Interval = TimeSpan.FromHours(1);
        });
        var store = provider.GetRequiredService<IChatSessionStore>();
        var first = await store.GetOrCreateSessionAsync("u", "first");
        var service = provider.GetServices<IHostedService>().OfType<ChatRetentionService>().Single();
        await service.StartAsync(CancellationToken.None);

        var second = await store.GetOrCreateSessionAsync("u", "second");
        _time.Advance(TimeSpan.FromDays(1) + TimeSpan.FromMinutes(30));
        (await store.GetSessionAsync("u", first.Id)).Should().NotBeNull("nothing runs before the next tick");

        _time.Advance(TimeSpan.FromMinutes(30));
        await WaitUntilAsync(async () => await store.GetSessionAsync("u", first.Id) is null);
        (await store.GetSessionAsync("u", second.Id)).Should().BeNull("it was idle for more than a day too");
        await service.StopAsync(CancellationToken.None);
    }

    [Fact]
    public void Invalid_options_fail_at_start_up_naming_the_setting()
    {
        using var provider = Build(o => o.BatchSize = 0);
        var act = () => provider.GetRequiredService<IOptions<ChatRetentionOptions>>().Value;
        act.Should().Throw<OptionsValidationException>().WithMessage("*ChatPersistence:Retention:BatchSize*");
    }

    private ServiceProvider Build(Action<ChatRetentionOptions> configure)
    {
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddLogging();
        services.AddChatPersistence().UseInMemory();
        services.AddChatRetention(configure);
        return services.BuildServiceProvider();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 200; i++)
        {
            if (await condition())
            {
                return;
            }

            await Task.Delay(10);
        }

        (await condition()).Should().BeTrue("the retention run should have happened after the timer tick");
    }
}
