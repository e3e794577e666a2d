using System.Diagnostics;
using ChatPersistence.Sdk.ChangeFeed;
using ChatPersistence.Sdk.Postgres;
using ChatPersistence.Sdk.PostgresTesting;
using FluentAssertions;
using Npgsql;
using Xunit;
using Xunit.Abstractions;

namespace ChatPersistence.Sdk.Decorators.Tests;

public sealed class PostgresCrossHostCachingTests(ITestOutputHelper output) : CrossHostCachingTests(output)
{
    private readonly List<IAsyncDisposable> _owned = [];
    private string _connectionString = null!;

    public override async Task InitializeAsync()
    {
        var cluster = await PostgresCluster.GetAsync();
        _connectionString = cluster.ConnectionString(await cluster.CreateDatabaseAsync());
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        foreach (var owned in _owned)
        {
            await owned.DisposeAsync();
        }
    }

    /// <summary>
    /// Any login role may NOTIFY on the feed's channel (PostgreSQL has no privilege for it). Forged notifications of every
    /// kind, at the next positions and with the largest xid, evict nothing a host cached; the next genuine change still does.
    /// </summary>
    [Fact]
    public async Task Forged_notifications_evict_nothing_and_the_next_genuine_change_still_does()
    {
        var (a, _, _) = StartHost();
        var (b, bCalls, bCache) = StartHost();
        var victim = await NewUserAsync();
        var other = await NewUserAsync();
        var session = await a.GetOrCreateSessionAsync(victim, "wf", "Original");
        await a.AppendMessagesAsync(victim, session.Id, [NewChatMessage.User("m0")]);
        var otherSession = await a.GetOrCreateSessionAsync(other, "wf", "Other");
        _ = await b.GetSessionAsync(victim, session.Id);
        _ = await b.GetMessagesAsync(victim, session.Id);
        _ = await b.GetSessionAsync(other, otherSession.Id);
        await UntilAsync(() => Task.FromResult(bCache.IsLive), Stopwatch.StartNew());

        // Behind every cache's back (no change logged), so that only an eviction could make B read the new title.
        await using var admin = NpgsqlDataSource.Create(_connectionString);
        await ExecuteAsync(admin, $"begin; alter table public.chat_sessions disable trigger chat_sessions_renamed, disable trigger chat_sessions_updating; " +
                                  $"update public.chat_sessions set title = 'Changed unseen' where id = '{session.Id}'; " +
                                  $"alter table public.chat_sessions enable trigger chat_sessions_renamed, enable trigger chat_sessions_updating; commit");
        _ = await b.GetSessionAsync(victim, session.Id);
        _ = await b.GetMessagesAsync(victim, session.Id);
        var calls = bCalls.Calls.Values.Sum();

        await ExecuteAsync(admin, "do $$ begin if not exists (select 1 from pg_roles where rolname = 'chat_cache_forger') then create role chat_cache_forger login; end if; end $$");
        var next = (long)(await ScalarAsync(admin, "select coalesce(pg_sequence_last_value(pg_get_serial_sequence('chat_private.chat_changes', 'position')), 0) + 1"))!;
        await using (var forger = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(_connectionString) { Username = "chat_cache_forger", Password = null }.ConnectionString))
        {
            for (var kind = 1; kind <= 5; kind++)
            {
                await ExecuteAsync(forger, $"select pg_notify('chat_changes', '{next + kind - 1},18446744073709551615,{kind},{victim},{session.Id},1,{Guid.NewGuid()},true')");
            }
        }

        // A genuine change of another user, notified after the forged ones: once B has it, B has had the forged ones too.
        await a.RenameSessionAsync(other, otherSession.Id, "Other renamed");
        await UntilAsync(async () => (await b.GetSessionAsync(other, otherSession.Id))!.Title == "Other renamed", Stopwatch.StartNew());
        var afterOther = bCalls.Calls.Values.Sum();
        (await b.GetSessionAsync(victim, session.Id))!.Title.Should().Be("Original", "no forged notification evicted the cached session");
        (await b.GetMessagesAsync(victim, session.Id)).Messages.Should().ContainSingle();
        bCalls.Calls.Values.Sum().Should().Be(afterOther, "the victim's session and page are still cache hits");
        afterOther.Should().BeGreaterThan(calls, "the genuine change evicted the other user's session");

        // The next genuine change of the victim is delivered.
        await a.AppendMessagesAsync(victim, session.Id, [NewChatMessage.User("m1")]);
        await UntilAsync(async () => (await b.GetMessagesAsync(victim, session.Id)).Messages.Count == 2, Stopwatch.StartNew());
        (await b.GetSessionAsync(victim, session.Id))!.Title.Should().Be("Changed unseen");
    }

    private static async Task ExecuteAsync(NpgsqlDataSource source, string sql)
    {
        await using var command = source.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> ScalarAsync(NpgsqlDataSource source, string sql)
    {
        await using var command = source.CreateCommand(sql);
        return await command.ExecuteScalarAsync();
    }

    protected override async Task<string> NewUserAsync()
    {
        var id = Guid.NewGuid();
        await using var dataSource = NpgsqlDataSource.Create(_connectionString);
        await using var command = dataSource.CreateCommand("insert into auth.users (id) values ($1)");
        command.Parameters.AddWithValue(id);
        await command.ExecuteNonQueryAsync();
        return id.ToString();
    }

    // Each host has its own pool, store and listener connection, as a separate process would.
    protected override (IChatSessionStore Store, IChatChangeFeed Feed) OpenStore()
    {
        var dataSource = NpgsqlDataSource.Create(_connectionString);
        var store = new PostgresChatSessionStore(dataSource);
        var feed = new PostgresChatChangeFeed(_connectionString);
        _owned.Add(feed);
        _owned.Add(store);
        _owned.Add(dataSource);
        return (store, feed);
    }
}
