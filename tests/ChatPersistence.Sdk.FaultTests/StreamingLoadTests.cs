using ChatPersistence.Sdk.LoadRunner.Streaming;
using ChatPersistence.Sdk.Postgres;
using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.FaultTests;

/// <summary>
/// The load runner's streaming mode at a small size (issue 26): replies stream from worker processes through
/// <see cref="ChatReplyWriter"/>, one worker is killed with SIGKILL and PostgreSQL is restarted in immediate mode while they
/// stream. Checked here again, against the database, independently of the runner's own verification: every reply's stored
/// text is a prefix of what was produced (no duplicate, gap or reordering) and holds everything acknowledged; the survivors'
/// replies are Complete with all of their text; the killed writer's replies read Interrupted/LeaseExpired (or Complete, if
/// they ended before the kill). Timings are printed by the runner, never asserted.
/// </summary>
[Collection(nameof(PrivateClusterTests))]
public sealed class StreamingLoadTests(PrivateCluster cluster)
{
    private const int Chunks = 120;

    [Fact]
    public async Task Every_acknowledged_chunk_is_stored_exactly_once_in_order_through_a_worker_kill_and_a_postgres_restart()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var log = new StringWriter();
        var result = await StreamingLoad.RunAsync(
            new StreamingLoadOptions
            {
                Replies = 12,
                Workers = 3,
                Chunks = Chunks,
                ChunksPerSecond = 20,
                // Well beyond a restart on a machine as busy as CI's (up to 9.3 s measured), so the survivors' replies outlive it
                // (the writer gives up after two thirds of the lease without progress; see StreamingLoadOptions.Lease).
                Lease = TimeSpan.FromSeconds(20),
                Kills = 1,
                RestartPostgres = true,
                ImmediateRestart = true,
                Cluster = cluster.Cluster,
            },
            log,
            timeout.Token);

        var because = "the run printed:\n" + log;
        result.Kills.Should().Be(1, because);
        result.Retries.Should().BeGreaterThan(0, "the restart interrupted the writers; " + because);
        result.ReaderReads.Should().BeGreaterThan(0, "a reader resumed replies while they streamed (each read checked by the runner); " + because);
        result.Replies.Should().HaveCount(12);
        var killed = result.Replies.Where(r => r.Killed).ToList();
        killed.Should().HaveCount(4, because);
        killed.Should().Contain(r => r.AcknowledgedLength > 0, "the worker was killed while its replies streamed; " + because);
        result.Replies.Should().Contain(r => !r.Killed);

        await using var store = new PostgresChatSessionStore(result.ConnectionString);
        foreach (var reply in result.Replies)
        {
            var produced = StreamingText.Full(reply.ReplyId, Chunks);
            reply.BeginAcknowledged.Should().BeTrue(because);
            var stored = await store.ReadReplyAsync(reply.UserId, reply.ReplyId, 0, timeout.Token);
            produced.StartsWith(stored.Text, StringComparison.Ordinal).Should().BeTrue($"reply {reply.ReplyId} must be a prefix of the produced text (no duplicate, gap or reordering); {because}");
            stored.Length.Should().Be(stored.Text.Length);
            stored.Length.Should().BeGreaterThanOrEqualTo(reply.AcknowledgedLength, $"nothing acknowledged to the writer of {reply.ReplyId} is lost; {because}");
            if (reply.Killed)
            {
                var expired = stored.Status == ChatReplyStatus.Interrupted && stored.Reason == ChatReplyReason.LeaseExpired;
                var endedFirst = stored.Status == ChatReplyStatus.Complete && stored.Text == produced;
                (expired || endedFirst).Should().BeTrue($"a killed writer's reply reads Interrupted/LeaseExpired after its lease, or ended Complete before the kill; it is {stored.Status}/{stored.Reason}; {because}");
            }
            else
            {
                stored.Status.Should().Be(ChatReplyStatus.Complete, because);
                stored.Text.Should().Be(produced, "a surviving writer's reply holds every chunk exactly once, in order");
            }
        }

        result.Verified.Should().BeTrue(because);
    }
}
