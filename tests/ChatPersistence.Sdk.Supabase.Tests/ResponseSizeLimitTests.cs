using System.Net;
using System.Net.Http.Headers;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace ChatPersistence.Sdk.Supabase.Tests;

/// <summary>
/// The store reads at most <see cref="SupabaseChatStoreOptions.MaxResponseBytes"/> of an answer: a larger page from the
/// test server, an endless or over-announced body from a misbehaving gateway, or a huge error body end the call with
/// <see cref="SupabaseResponseTooLargeException"/> (not transient) after reading no more than the limit.
/// </summary>
public sealed class ResponseSizeLimitTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static readonly Guid User = Guid.NewGuid();

    private SupabaseEnvironment Env => fixture.Environment;

    [Fact]
    public async Task A_history_page_larger_than_the_limit_is_refused_with_a_typed_error_and_smaller_answers_still_work()
    {
        var user = (await Env.CreateUserAsync()).ToString();
        var writer = new SupabaseChatSessionStore(Env.Http, Env.ServiceOptions());
        var options = Env.ServiceOptions();
        options.MaxResponseBytes = 4 * 1024;
        var store = new SupabaseChatSessionStore(Env.Http, options);
        var session = await store.GetOrCreateSessionAsync(user, "wf-size");
        await writer.AppendMessagesAsync(user, session.Id,
            [.. Enumerable.Range(0, 8).Select(i => new NewChatMessage(ChatMessageRole.User, new string('x', 1000) + i))]);

        var act = () => store.GetMessagesAsync(user, session.Id, new ChatHistoryRequest { PageSize = 50 });

        var error = (await act.Should().ThrowAsync<SupabaseResponseTooLargeException>()).Which;
        error.IsTransient.Should().BeFalse();
        error.MaxResponseBytes.Should().Be(4 * 1024);
        error.HttpStatusCode.Should().Be(200);
        error.Message.Should().Contain("chat_read_messages").And.Contain("MaxResponseBytes (4096 bytes)");

        // One message (and the one more that says whether there are older ones): each row also carries its parent and its
        // place among its versions since schema 4.
        (await store.GetMessagesAsync(user, session.Id, new ChatHistoryRequest { PageSize = 1 })).Messages.Should().HaveCount(1);
    }

    [Fact]
    public async Task An_endless_body_is_read_only_up_to_the_limit()
    {
        var body = new EndlessStream();
        var store = Store(_ => new HttpResponseMessage(HttpStatusCode.OK) { Content = new StreamContent(body) }, 64 * 1024);

        var act = () => store.GetSessionAsync(User.ToString(), Guid.NewGuid());

        (await act.Should().ThrowAsync<SupabaseResponseTooLargeException>()).Which.IsTransient.Should().BeFalse();
        body.BytesRead.Should().BeGreaterThan(64 * 1024).And.BeLessThanOrEqualTo(64 * 1024 + 1, "the store stops one byte past the limit");
    }

    [Fact]
    public async Task An_announced_content_length_above_the_limit_is_refused_before_reading_and_so_is_a_huge_error_body()
    {
        var body = new EndlessStream();
        var store = Store(_ =>
        {
            var content = new StreamContent(body);
            content.Headers.ContentLength = 10L * 1024 * 1024 * 1024;
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            return new HttpResponseMessage(HttpStatusCode.OK) { Content = content };
        }, 1024 * 1024);

        var announced = await store.Invoking(s => s.GetSessionAsync(User.ToString(), Guid.NewGuid())).Should().ThrowAsync<SupabaseResponseTooLargeException>();
        announced.Which.Message.Should().Contain("announced 10737418240 bytes");
        body.BytesRead.Should().Be(0);

        var failing = Store(_ => new HttpResponseMessage(HttpStatusCode.BadGateway) { Content = new StreamContent(new EndlessStream()) }, 1024 * 1024);
        var error = (await failing.Invoking(s => s.GetSessionAsync(User.ToString(), Guid.NewGuid())).Should().ThrowAsync<SupabaseResponseTooLargeException>()).Which;
        error.HttpStatusCode.Should().Be(502);
        error.IsTransient.Should().BeFalse();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Through_the_registered_resilience_pipeline_a_huge_500_body_is_refused_without_retries(bool announced)
    {
        var requests = 0;
        var bodies = new List<EndlessStream>();
        var services = new ServiceCollection();
        services.AddChatPersistence().UseSupabase(o =>
        {
            o.Url = new Uri("https://example.supabase.co");
            o.SecretKey = "sb_secret_test";
            o.MaxResponseBytes = 64 * 1024;
            o.RetryDelay = TimeSpan.FromMilliseconds(1);
        });
        services.AddHttpClient(SupabaseChatStoreOptions.HttpClientName).ConfigurePrimaryHttpMessageHandler(() => new AnswerHandler(_ =>
        {
            Interlocked.Increment(ref requests);
            var body = new EndlessStream();
            bodies.Add(body);
            var content = new StreamContent(body);
            content.Headers.ContentLength = announced ? 1L << 40 : null;
            return new HttpResponseMessage(HttpStatusCode.InternalServerError) { Content = content };
        }));
        await using var provider = services.BuildServiceProvider();

        var act = () => provider.GetRequiredService<IChatSessionStore>().GetSessionAsync(User.ToString(), Guid.NewGuid());

        var error = (await act.Should().ThrowAsync<SupabaseResponseTooLargeException>()).Which;
        error.IsTransient.Should().BeFalse();
        error.HttpStatusCode.Should().Be(500);
        error.Message.Should().Contain("chat_get_session");
        requests.Should().Be(1, "a body that cannot be read is not retried");
        bodies.Single().BytesRead.Should().BeLessThanOrEqualTo(announced ? 0 : 64 * 1024 + 4096);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1023)]
    [InlineData(1024 * 1024 * 1024 + 1)]
    public void The_limit_is_validated(int bytes)
    {
        var options = new SupabaseChatStoreOptions { Url = new Uri("https://example.supabase.co"), SecretKey = "sb_secret_x", MaxResponseBytes = bytes };

        options.Validate().Should().Be("ChatPersistence:Supabase:MaxResponseBytes must be between 1024 (1 KiB) and 1073741824 (1 GiB); the default is 67108864 (64 MiB).");
        new SupabaseChatStoreOptions().MaxResponseBytes.Should().Be(64 * 1024 * 1024);
    }

    private static SupabaseChatSessionStore Store(Func<HttpRequestMessage, HttpResponseMessage> answer, int limit) =>
        new(new HttpClient(new AnswerHandler(answer)), new SupabaseChatStoreOptions
        {
            Url = new Uri("https://example.supabase.co"),
            SecretKey = "sb_secret_test",
            MaxResponseBytes = limit,
        });

    private sealed class AnswerHandler(Func<HttpRequestMessage, HttpResponseMessage> answer) : HttpMessageHandler
    {
        // As real handlers do, the answer carries the request it answers.
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = answer(request);
            response.RequestMessage = request;
            return Task.FromResult(response);
        }
    }

    /// <summary>A body that never ends (a misbehaving gateway), counting what was read from it.</summary>
    private sealed class EndlessStream : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(count, 4096);
            buffer.AsSpan(offset, n).Fill((byte)' ');
            BytesRead += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
