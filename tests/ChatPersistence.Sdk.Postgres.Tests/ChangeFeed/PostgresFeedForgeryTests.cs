using System.Globalization;
using ChatPersistence.Sdk.ChangeFeed;
using ChatPersistence.Sdk.ConformanceTests;
using FluentAssertions;
using Npgsql;
using Xunit;

namespace ChatPersistence.Sdk.Postgres.Tests.ChangeFeed;

/// <summary>
/// PostgreSQL has no privilege for <c>NOTIFY</c>/<c>LISTEN</c>: any login role may send anything on the feed's channel and
/// listen to it. A notification is a wake-up only: what a watcher receives comes from the change log, and the payload a
/// listener sees tells it nothing about whose data changed.
/// </summary>
public sealed class PostgresFeedForgeryTests(PostgresFeedFixture fixture) : IClassFixture<PostgresFeedFixture>
{
    private const string MaxXid = "18446744073709551615";

    [Fact]
    public async Task Forged_notifications_of_every_kind_deliver_nothing_and_the_next_genuine_changes_arrive()
    {
        var user = await fixture.CreateUserAsync();
        var session = await fixture.Writer.GetOrCreateSessionAsync(user, "wf-" + Guid.NewGuid().ToString("N"));
        await using var watch = FeedWatch.Start(fixture.Feed, user);
        await using var forger = await UnrelatedLoginRoleAsync("chat_feed_forger");

        // The next positions the log will hand out, each with the largest xid there is: what the old feed stored and then
        // used to drop the genuine change that later got that position.
        var next = await NextPositionAsync();
        var forged = new List<string>();
        for (var kind = 1; kind <= 9; kind++)
        {
            forged.Add(string.Join(',', (next + kind - 1).ToString(CultureInfo.InvariantCulture), MaxXid, kind.ToString(CultureInfo.InvariantCulture),
                user, session.Id, "1", Guid.NewGuid(), "true"));
        }

        forged.AddRange(["", "garbage", $"{next},{MaxXid},3,{user},{session.Id},,,", new string('x', 7000)]);
        foreach (var payload in forged)
        {
            // On the log's channel and on the replies' one (whose wake-up reads the streaming replies' lengths).
            foreach (var channel in new[] { "chat_changes", "chat_replies" })
            {
                await using var notify = forger.CreateCommand("select pg_notify($1, $2)");
                notify.Parameters.AddWithValue(channel);
                notify.Parameters.AddWithValue(payload);
                await notify.ExecuteNonQueryAsync();
            }
        }

        // Genuine changes at exactly the forged positions.
        var genuine = new List<StoredChatMessage>();
        for (var i = 0; i < 4; i++)
        {
            genuine.AddRange(await fixture.Writer.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("genuine " + i)]));
        }

        await watch.WaitForAsync(4);
        await Task.Delay(500);
        var received = watch.Received;
        received.Should().HaveCount(4, "the forged notifications delivered nothing");
        received.Should().OnlyContain(c => c.Kind == ChatChangeKind.MessagesAppended && c.SessionId == session.Id && c.UserId == user);
        received.Select(c => c.Sequence).Should().Equal(genuine.Select(m => (long?)m.Sequence));
        received.Select(c => c.Position).Should().Equal(Enumerable.Range(0, 4).Select(i => next + i), "the genuine changes took the forged positions and still arrived");
        (await fixture.Writer.GetSessionAsync(user, session.Id))!.MessageCount.Should().Be(4);
    }

    [Fact]
    public async Task A_listener_that_is_not_the_feed_learns_nothing_about_whose_data_changed()
    {
        var user = await fixture.CreateUserAsync();
        var session = await fixture.Writer.GetOrCreateSessionAsync(user, "wf-" + Guid.NewGuid().ToString("N"));
        await using var eavesdropper = await UnrelatedLoginRoleAsync("chat_feed_eavesdropper");
        await using var connection = await eavesdropper.OpenConnectionAsync();
        var payloads = new List<string>();
        connection.Notification += (_, e) => payloads.Add(e.Payload);
        await using (var listen = new NpgsqlCommand("listen chat_changes; listen chat_replies", connection))
        {
            await listen.ExecuteNonQueryAsync();
        }

        var message = await fixture.Writer.AppendMessagesAsync(user, session.Id, [NewChatMessage.User("private")]);
        await fixture.Writer.SetFavoriteAsync(user, message[0].Id, true);
        await fixture.Writer.RenameSessionAsync(user, session.Id, "renamed");
        var reply = await fixture.Writer.BeginReplyAsync(user, session.Id, new NewChatReply());
        await fixture.Writer.GrowReplyAsync(user, reply.Id, 0, "private text");
        await fixture.Writer.StopReplyAsync(user, reply.Id);
        await fixture.Writer.ClearSessionAsync(user, session.Id);
        await fixture.Writer.DeleteSessionAsync(user, session.Id);
        while (payloads.Count < 8)
        {
            (await connection.WaitAsync(TimeSpan.FromSeconds(15))).Should().BeTrue("every change wakes listeners");
        }

        payloads.Should().OnlyContain(p => p.Length == 0, "the payload carries no user, session or message id");
    }

    private async Task<long> NextPositionAsync()
    {
        await using var source = NpgsqlDataSource.Create(fixture.Cluster.ConnectionString(fixture.Database));
        await using var command = source.CreateCommand(
            "select coalesce(pg_sequence_last_value(pg_get_serial_sequence('chat_private.chat_changes', 'position')), 0) + 1");
        return (long)(await command.ExecuteScalarAsync())!;
    }

    // A role that can log in and has no grant at all: no schema, table or function of the chat, and no API role.
    private async Task<NpgsqlDataSource> UnrelatedLoginRoleAsync(string role)
    {
        await using (var admin = NpgsqlDataSource.Create(fixture.Cluster.ConnectionString(fixture.Database)))
        await using (var create = admin.CreateCommand(
            $"do $$ begin if not exists (select 1 from pg_roles where rolname = '{role}') then create role {role} login; end if; end $$"))
        {
            await create.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(fixture.Cluster.ConnectionString(fixture.Database)) { Username = role, Password = null };
        return NpgsqlDataSource.Create(builder.ConnectionString);
    }
}
