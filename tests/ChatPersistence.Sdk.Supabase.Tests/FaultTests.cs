using ChatPersistence.Sdk.PostgrestTesting;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace ChatPersistence.Sdk.Supabase.Tests;

/// <summary>
/// Faults between the store and Supabase, through the store as a host registers it (<c>UseSupabase</c>: IHttpClientFactory
/// with the standard resilience handler): transient failures are retried and leave exactly one copy, final ones are not
/// retried, cancellation is honoured.
/// </summary>
public sealed class FaultTests : IAsyncLifetime
{
    private SupabaseEnvironment _env = null!;
    private ServiceProvider _services = null!;
    private IChatSessionStore _store = null!;
    private string _user = null!;
    private ChatSession _session = null!;

    public async Task InitializeAsync()
    {
        _env = await SupabaseEnvironment.StartAsync(recordRequests: true);
        var services = new ServiceCollection();
        services.AddChatPersistence().UseSupabase(o =>
        {
            o.Url = _env.Server.Url;
            o.ServiceRoleKey = _env.Server.ServiceRoleKey;
            o.RetryDelay = TimeSpan.FromMilliseconds(20);
            o.AttemptTimeout = TimeSpan.FromSeconds(2);
            o.TotalTimeout = TimeSpan.FromSeconds(30);
            o.MaxRetryAttempts = 3;
        });
        _services = services.BuildServiceProvider();
        _store = _services.GetRequiredService<IChatSessionStore>();
        _user = (await _env.CreateUserAsync()).ToString();
        _session = await _store.GetOrCreateSessionAsync(_user, "faults");
        _env.Server.Requests.Clear();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _env.DisposeAsync();
    }

    [Theory]
    [InlineData(PostgrestFault.ServiceUnavailable)]
    [InlineData(PostgrestFault.ServiceUnavailableWithRetryAfter)]
    [InlineData(PostgrestFault.Deadlock)]
    public async Task A_transient_answer_before_anything_ran_is_retried_and_the_message_is_stored_once(PostgrestFault fault)
    {
        _env.Server.InjectFault("chat_append_messages", fault);

        var stored = await _store.AppendMessageAsync(_user, _session.Id, NewChatMessage.User("hello"));

        stored.Content.Should().Be("hello");
        _env.Server.Requests.Count(r => r.Path.EndsWith("chat_append_messages", StringComparison.Ordinal)).Should().Be(2);
        await AssertStoredOnceAsync(stored.Id);
    }

    [Theory]
    [InlineData(PostgrestFault.DropConnectionAfterCommit)]
    [InlineData(PostgrestFault.HangAfterCommit)]
    public async Task A_lost_answer_after_the_append_committed_is_retried_and_exactly_one_copy_is_stored(PostgrestFault fault)
    {
        _env.Server.InjectFault("chat_append_messages", fault);
        var message = NewChatMessage.User("committed, answer lost");

        var stored = await _store.AppendMessageAsync(_user, _session.Id, message);

        stored.Id.Should().Be(message.Id);
        _env.Server.Executions["chat_append_messages"].Should().Be(2, "the first attempt committed, the retry found the same message");
        await AssertStoredOnceAsync(message.Id);
        (await _store.GetSessionAsync(_user, _session.Id))!.MessageCount.Should().Be(1);
    }

    [Fact]
    public async Task A_batch_retried_after_a_dropped_connection_is_stored_once_in_order()
    {
        _env.Server.InjectFault("chat_append_messages", PostgrestFault.DropConnectionAfterCommit);
        var batch = Enumerable.Range(0, 20).Select(i => NewChatMessage.User($"m{i}")).ToList();

        var stored = await _store.AppendMessagesAsync(_user, _session.Id, batch);

        stored.Select(m => m.Id).Should().Equal(batch.Select(m => m.Id));
        var history = await _store.GetMessagesAsync(_user, _session.Id, new ChatHistoryRequest { PageSize = 100 });
        history.Messages.Select(m => m.Content).Should().Equal(batch.Select(m => m.Content));
    }

    [Fact]
    public async Task A_final_server_error_is_not_retried()
    {
        _env.Server.InjectFault("chat_append_messages", PostgrestFault.InternalError);

        var act = () => _store.AppendMessageAsync(_user, _session.Id, NewChatMessage.User("x"));

        var error = (await act.Should().ThrowAsync<ChatPersistenceException>()).Which;
        error.IsTransient.Should().BeFalse();
        error.HttpStatusCode.Should().Be(500);
        error.ErrorCode.Should().Be("XX000");
        _env.Server.Requests.Count(r => r.Path.EndsWith("chat_append_messages", StringComparison.Ordinal)).Should().Be(1);
    }

    [Fact]
    public async Task Not_found_and_conflict_are_not_retried()
    {
        var missing = () => _store.ClearSessionAsync(_user, Guid.NewGuid());
        await missing.Should().ThrowAsync<ChatNotFoundException>().Where(e => e.HttpStatusCode == 404 && e.ErrorCode == "PT404");

        var first = await _store.AppendMessageAsync(_user, _session.Id, NewChatMessage.User("one"));
        var conflict = () => _store.AppendMessageAsync(_user, _session.Id, NewChatMessage.User("two") with { Id = first.Id });
        await conflict.Should().ThrowAsync<ChatConflictException>().Where(e => e.MessageId == first.Id && e.HttpStatusCode == 409);

        _env.Server.Requests.Count(r => r.Path.EndsWith("chat_clear_session", StringComparison.Ordinal)).Should().Be(1);
        _env.Server.Requests.Count(r => r.Path.EndsWith("chat_append_messages", StringComparison.Ordinal)).Should().Be(2);
    }

    [Fact]
    public async Task A_persistent_outage_ends_in_a_transient_error_after_the_configured_retries()
    {
        _env.Server.InjectFault("chat_read_messages", PostgrestFault.ServiceUnavailable, times: 10);

        var act = () => _store.GetMessagesAsync(_user, _session.Id);

        var error = (await act.Should().ThrowAsync<ChatPersistenceException>()).Which;
        error.IsTransient.Should().BeTrue();
        error.HttpStatusCode.Should().Be(503);
        error.ErrorCode.Should().Be("PGRST001");
        _env.Server.Requests.Count(r => r.Path.EndsWith("chat_read_messages", StringComparison.Ordinal)).Should().Be(4, "one attempt and three retries");
    }

    [Fact]
    public async Task Cancellation_is_honoured_while_the_server_hangs()
    {
        _env.Server.InjectFault("chat_read_messages", PostgrestFault.HangAfterCommit);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        var act = () => _store.GetMessagesAsync(_user, _session.Id, cancellationToken: cancellation.Token);

        await act.Should().ThrowAsync<OperationCanceledException>();
        _env.Server.Requests.Count(r => r.Path.EndsWith("chat_read_messages", StringComparison.Ordinal)).Should().Be(1);
    }

    [Fact]
    public async Task An_unreachable_server_is_a_transient_error()
    {
        var services = new ServiceCollection();
        services.AddChatPersistence().UseSupabase(o =>
        {
            o.Url = new Uri("http://127.0.0.1:9"); // discard port: nothing listens
            o.ServiceRoleKey = "key";
            o.MaxRetryAttempts = 1;
            o.RetryDelay = TimeSpan.FromMilliseconds(10);
        });
        await using var provider = services.BuildServiceProvider();

        var act = () => provider.GetRequiredService<IChatSessionStore>().GetOrCreateSessionAsync(_user, "wf");

        (await act.Should().ThrowAsync<ChatPersistenceException>()).Which.IsTransient.Should().BeTrue();
    }

    private async Task AssertStoredOnceAsync(Guid id) =>
        (await _env.ScalarAsync("select count(*) from public.chat_messages where id = $1", id)).Should().Be(1);
}
