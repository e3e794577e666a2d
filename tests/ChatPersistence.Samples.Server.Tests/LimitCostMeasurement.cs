using System.Diagnostics;
using System.Threading.RateLimiting;
using ChatPersistence.Samples.Server.Limits;
using ChatPersistence.Sdk.PostgresTesting;
using FluentAssertions;
using Xunit;
using Xunit.Abstractions;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// What one per-user limit check costs where the limits are counted: in the process, on a real Redis, in a real PostgreSQL
/// (the figures in docs/server-sample.md), and what a held permit (an open socket, a running PDF export) costs to take and
/// give back. Prints the mean time per check of a sequential loop; asserts only that every check
/// was granted (the limit is far above the loop), never a time.
/// </summary>
[Collection("two server instances")]
public sealed class LimitCostMeasurement(ITestOutputHelper output)
{
    private const int Checks = 500;

    [Fact]
    public async Task Cost_of_one_check_in_process_on_Redis_and_in_PostgreSQL()
    {
        var options = new LimitsOptions();
        using (var process = new ClusterLimits(options))
        {
            await MeasureAsync("process", process);
        }

        using (var redis = await RedisProcess.StartAsync())
        using (var onRedis = new ClusterLimits(new LimitsOptions { Redis = redis.Configuration }))
        {
            await MeasureAsync("redis", onRedis);
        }

        var cluster = await PostgresCluster.GetAsync();
        var database = await cluster.CreateDatabaseAsync();
        using var inDatabase = new ClusterLimits(options, cluster.OwnerConnectionString(database));
        inDatabase.Mode.Should().Be("database");
        await MeasureAsync("database", inDatabase);
    }

    private async Task MeasureAsync(string mode, ClusterLimits cluster)
    {
        using var tokenBucket = PartitionedRateLimiter.Create<string, string>(user => cluster.TokenBucket("bench-api:" + user, 1_000_000));
        using var fixedWindow = PartitionedRateLimiter.Create<string, string>(user => cluster.FixedWindow("bench-daily:" + user, 1_000_000, TimeSpan.FromDays(1)));
        foreach (var (name, limiter) in new[] { ("per-minute (API/MCP/sends)", tokenBucket), ("daily quota", fixedWindow) })
        {
            var user = Guid.NewGuid().ToString();
            for (var i = 0; i < 20; i++)
            {
                using var warm = await limiter.AcquireAsync(user); // connections, table, JIT
            }

            var granted = 0;
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < Checks; i++)
            {
                using var lease = await limiter.AcquireAsync(user);
                granted += lease.IsAcquired ? 1 : 0;
            }

            clock.Stop();
            granted.Should().Be(Checks, $"{mode}: the limit is far above the loop");
            output.WriteLine($"{mode,-9} {name,-27} {clock.Elapsed.TotalMilliseconds * 1000 / Checks,8:0.0} µs per check ({Checks} sequential checks)");
        }

        // A held permit (an open socket, a running PDF export): taken, then given back. In the database the release is a
        // delete made in the background when the lease is disposed; here it is awaited, so the figure is both round trips.
        using var concurrency = PartitionedRateLimiter.Create<string, string>(user => cluster.Concurrency("bench-sockets:" + user, 8));
        var holder = Guid.NewGuid().ToString();
        async Task<bool> TakeAndGiveBackAsync()
        {
            if (cluster.Permits is { } permits)
            {
                var id = await permits.TryAcquireAsync("bench-sockets:user:" + holder, 8, CancellationToken.None);
                if (id is { } held)
                {
                    await permits.ReleaseAsync(held);
                }

                return id is not null;
            }

            using var lease = await concurrency.AcquireAsync(holder);
            return lease.IsAcquired;
        }

        for (var i = 0; i < 20; i++)
        {
            (await TakeAndGiveBackAsync()).Should().BeTrue();
        }

        var taken = 0;
        var timer = Stopwatch.StartNew();
        for (var i = 0; i < Checks; i++)
        {
            taken += await TakeAndGiveBackAsync() ? 1 : 0;
        }

        timer.Stop();
        taken.Should().Be(Checks, $"{mode}: every permit is given back before the next is taken");
        output.WriteLine($"{mode,-9} {"held permit (acquire+release)",-27} {timer.Elapsed.TotalMilliseconds * 1000 / Checks,8:0.0} µs per pair ({Checks} sequential pairs)");
    }
}
