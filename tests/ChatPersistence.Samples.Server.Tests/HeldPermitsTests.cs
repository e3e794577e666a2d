using System.Threading.RateLimiting;
using ChatPersistence.Samples.Server.Limits;
using ChatPersistence.Sdk.PostgresTesting;
using FluentAssertions;
using Npgsql;
using Xunit;

namespace ChatPersistence.Samples.Server.Tests;

/// <summary>
/// The held permits of the database mode (<see cref="PostgresPermits"/>, table <c>chat_server_limits.permits</c>) on a real
/// PostgreSQL: parallel acquires of two "instances" for one key never hold more than the limit, a release frees a place for the
/// other instance, the holder's renewal keeps permits alive past their expiry, and an unreachable database falls over to the
/// in-process limiter.
/// </summary>
public sealed class HeldPermitsTests : IAsyncLifetime
{
    private string _connectionString = "";

    public async Task InitializeAsync()
    {
        var cluster = await PostgresCluster.GetAsync();
        _connectionString = cluster.OwnerConnectionString(await cluster.CreateDatabaseAsync());
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task Many_parallel_acquires_of_two_instances_for_one_key_never_hold_more_than_the_limit()
    {
        using var firstDatabase = new PostgresLimitCounters(_connectionString);
        using var secondDatabase = new PostgresLimitCounters(_connectionString);
        using var first = new PostgresPermits(firstDatabase, TimeSpan.FromSeconds(30), ex => throw ex);
        using var second = new PostgresPermits(secondDatabase, TimeSpan.FromSeconds(30), ex => throw ex);
        const string Key = "sockets:user:parallel";
        const int Limit = 5;
        for (var round = 0; round < 5; round++)
        {
            // 64 acquires at once, alternately on the two instances (each with its own connection pool, as two processes).
            var attempts = await Task.WhenAll(Enumerable.Range(0, 64).Select(i => Task.Run(async () =>
            {
                var permits = i % 2 == 0 ? first : second;
                return (Permits: permits, Id: await permits.TryAcquireAsync(Key, Limit, CancellationToken.None));
            })));

            var granted = attempts.Where(a => a.Id is not null).ToList();
            granted.Should().HaveCount(Limit, $"round {round}: the limit holds whatever the interleaving, and free places are all taken");
            (await RowsAsync(Key)).Should().Be(Limit);
            (first.HeldCount + second.HeldCount).Should().Be(Limit);

            // A release on one instance gives the place to the other.
            var released = granted[0];
            await released.Permits.ReleaseAsync(released.Id!.Value);
            var other = released.Permits == first ? second : first;
            var again = await other.TryAcquireAsync(Key, Limit, CancellationToken.None);
            again.Should().NotBeNull("a released permit is free for any instance");
            (await other.TryAcquireAsync(Key, Limit, CancellationToken.None)).Should().BeNull("the limit is reached again");

            await other.ReleaseAsync(again!.Value);
            foreach (var (permits, id) in granted.Skip(1))
            {
                await permits.ReleaseAsync(id!.Value);
            }

            (await RowsAsync(Key)).Should().Be(0, "every release deletes its row");
        }
    }

    [Fact]
    public async Task Held_permits_outlive_their_expiry_while_renewed_and_expired_rows_of_a_lost_holder_free_their_place()
    {
        using var database = new PostgresLimitCounters(_connectionString);
        using var permits = new PostgresPermits(database, TimeSpan.FromSeconds(3), ex => throw ex);
        const string Key = "pdf-at-once:renewed";
        var held = await permits.TryAcquireAsync(Key, 1, CancellationToken.None);
        held.Should().NotBeNull();

        // A holder that no longer renews (an instance that was killed): a row that expired a second ago.
        await using (var source = NpgsqlDataSource.Create(_connectionString))
        await using (var lost = source.CreateCommand("insert into chat_server_limits.permits (id, key, holder, expires_at) values (gen_random_uuid(), 'pdf-at-once:lost', gen_random_uuid(), now() - interval '1 second')"))
        {
            await lost.ExecuteNonQueryAsync();
        }

        // Two expiries later the permit is still held: the renewal (every second) kept it.
        await Task.Delay(TimeSpan.FromSeconds(6));
        (await permits.TryAcquireAsync(Key, 1, CancellationToken.None)).Should().BeNull("the held permit was renewed, not expired");
        (await RowsAsync("pdf-at-once:lost")).Should().Be(0, "the renewal deletes expired rows of any holder");
        (await permits.TryAcquireAsync("pdf-at-once:lost", 1, CancellationToken.None)).Should().NotBeNull();

        await permits.ReleaseAsync(held!.Value);
        (await permits.TryAcquireAsync(Key, 1, CancellationToken.None)).Should().NotBeNull();
    }

    [Fact]
    public async Task An_unreachable_database_falls_over_to_the_in_process_cap_never_an_error_nor_unlimited()
    {
        // A port nothing listens on: every acquire fails to connect.
        using var cluster = new ClusterLimits(new LimitsOptions(), "Host=127.0.0.1;Port=1;Username=x;Password=y;Database=z;Timeout=2");
        cluster.Mode.Should().Be("database");
        using var limiter = PartitionedRateLimiter.Create<string, string>(user => cluster.Concurrency("sockets:" + user, 2));
        using var one = await limiter.AcquireAsync("u");
        using var two = await limiter.AcquireAsync("u");
        using var three = await limiter.AcquireAsync("u");
        one.IsAcquired.Should().BeTrue();
        two.IsAcquired.Should().BeTrue();
        three.IsAcquired.Should().BeFalse("the instance still applies the cap on its own");
        two.Dispose();
        using var four = await limiter.AcquireAsync("u");
        four.IsAcquired.Should().BeTrue("a release frees the in-process permit");
    }

    private async Task<long> RowsAsync(string key)
    {
        await using var source = NpgsqlDataSource.Create(_connectionString);
        await using var command = source.CreateCommand("select count(*) from chat_server_limits.permits where key = @key");
        command.Parameters.AddWithValue("key", key);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
