using ChatPersistence.Sdk.PostgrestTesting;
using FluentAssertions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Xunit;

namespace ChatPersistence.Sdk.Supabase.Tests;

/// <summary>Configuration binding, start-up validation, input checked before sending, and keys kept out of every message.</summary>
public sealed class OptionsAndSecretsTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private SupabaseEnvironment Env => fixture.Environment;

    [Fact]
    public void Options_bind_from_the_ChatPersistence_Supabase_section()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ChatPersistence:Supabase:Url"] = "https://abcdefgh.supabase.co",
            ["ChatPersistence:Supabase:ServiceRoleKey"] = "service-key",
            ["ChatPersistence:Supabase:AttemptTimeout"] = "00:00:05",
            ["ChatPersistence:Supabase:TotalTimeout"] = "00:00:20",
            ["ChatPersistence:Supabase:MaxRetryAttempts"] = "2",
            ["ChatPersistence:Supabase:MaxResponseBytes"] = "1048576",
            ["ChatPersistence:Supabase:RetryDelay"] = "00:00:00.5",
        }).Build();
        var services = new ServiceCollection().AddSingleton<IConfiguration>(configuration);
        services.AddChatPersistence().UseSupabase();
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<SupabaseChatStoreOptions>>().Value;

        options.Url.Should().Be(new Uri("https://abcdefgh.supabase.co"));
        options.Mode.Should().Be(SupabaseAuthMode.Service);
        options.AttemptTimeout.Should().Be(TimeSpan.FromSeconds(5));
        options.TotalTimeout.Should().Be(TimeSpan.FromSeconds(20));
        options.MaxRetryAttempts.Should().Be(2);
        options.MaxResponseBytes.Should().Be(1048576);
        options.RetryDelay.Should().Be(TimeSpan.FromMilliseconds(500));
        provider.GetRequiredService<IChatSessionStore>().Should().BeOfType<SupabaseChatSessionStore>();
    }

    [Theory]
    [InlineData(null, null, null, false, "Url is required")]
    [InlineData("ftp://x", "key", null, false, "absolute http(s) URL")]
    [InlineData("https://x.supabase.co", null, null, false, "set SecretKey for a trusted server")]
    [InlineData("https://x.supabase.co", null, "anon", false, "AccessTokenProvider")]
    [InlineData("https://x.supabase.co", "key", null, true, "not both")]
    public async Task Incomplete_options_stop_the_host_at_start_with_the_reason(string? url, string? serviceKey, string? anonKey, bool tokens, string reason)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddChatPersistence().UseSupabase(o =>
        {
            o.Url = url is null ? null : new Uri(url);
            o.ServiceRoleKey = serviceKey;
            o.AnonKey = anonKey;
            o.AccessTokenProvider = tokens ? (_, _) => ValueTask.FromResult("t") : null;
        });
        using var host = builder.Build();

        var error = await Record.ExceptionAsync(() => host.StartAsync());

        var failures = error is AggregateException aggregate ? aggregate.Flatten().InnerExceptions : [error!];
        failures.Should().AllBeOfType<OptionsValidationException>();
        failures.Select(f => f.Message).Should().Contain(m => m.Contains(reason, StringComparison.Ordinal));
    }

    [Fact]
    public void Keys_never_appear_in_ToString()
    {
        var options = new SupabaseChatStoreOptions { Url = Env.Server.Url, ServiceRoleKey = Env.Server.ServiceRoleKey };
        var store = new SupabaseChatSessionStore(Env.Http, options);

        options.ToString().Should().NotContain(Env.Server.ServiceRoleKey).And.Contain("Service mode");
        store.ToString().Should().NotContain(Env.Server.ServiceRoleKey);
        new SupabaseChatStoreOptions { Url = Env.Server.Url, AnonKey = Env.Server.AnonKey }.ToString().Should().NotContain(Env.Server.AnonKey);
    }

    [Fact]
    public async Task Keys_and_tokens_never_appear_in_exceptions()
    {
        var user = await Env.CreateUserAsync();
        var token = Env.Server.CreateUserToken(user, TimeSpan.FromMinutes(-10));
        var store = new SupabaseChatSessionStore(Env.Http, new SupabaseChatStoreOptions
        {
            Url = Env.Server.Url,
            AnonKey = Env.Server.AnonKey,
            AccessTokenProvider = (_, _) => ValueTask.FromResult(token),
        });
        var service = new SupabaseChatSessionStore(Env.Http, Env.ServiceOptions());
        Env.Server.InjectFault("chat_read_messages", PostgrestFault.InternalError);

        var errors = new List<Exception>
        {
            (await FluentActions.Awaiting(() => store.GetOrCreateSessionAsync(user.ToString(), "wf")).Should().ThrowAsync<ChatAccessDeniedException>()).Which,
            (await FluentActions.Awaiting(() => service.GetMessagesAsync(user.ToString(), Guid.NewGuid())).Should().ThrowAsync<ChatPersistenceException>()).Which,
            (await FluentActions.Awaiting(() => service.ClearSessionAsync(user.ToString(), Guid.NewGuid())).Should().ThrowAsync<ChatNotFoundException>()).Which,
        };

        foreach (var error in errors)
        {
            var text = error.ToString() + (error as ChatPersistenceException)?.Details + (error as ChatPersistenceException)?.Hint;
            text.Should().NotContain(token).And.NotContain(Env.Server.AnonKey).And.NotContain(Env.Server.ServiceRoleKey);
        }
    }

    [Fact]
    public async Task Bad_input_is_refused_before_any_request_is_sent()
    {
        var user = await Env.CreateUserAsync();
        var tokenAsked = false;
        var userStore = new SupabaseChatSessionStore(Env.Http, new SupabaseChatStoreOptions
        {
            Url = Env.Server.Url,
            AnonKey = Env.Server.AnonKey,
            AccessTokenProvider = (_, _) => { tokenAsked = true; return ValueTask.FromResult(""); },
        });
        var service = new SupabaseChatSessionStore(Env.Http, Env.ServiceOptions());
        Env.Server.Requests.Clear();

        await FluentActions.Awaiting(() => service.GetOrCreateSessionAsync("not-a-uuid", "wf")).Should().ThrowAsync<ArgumentException>();
        await FluentActions.Awaiting(() => service.GetOrCreateSessionAsync(user.ToString(), "")).Should().ThrowAsync<ArgumentException>();
        await FluentActions.Awaiting(() => service.AppendMessagesAsync(user.ToString(), Guid.NewGuid(), [])).Should().ThrowAsync<ArgumentException>();
        await FluentActions.Awaiting(() => userStore.DeleteIdleSessionsAsync(DateTimeOffset.UtcNow)).Should().ThrowAsync<ChatAccessDeniedException>();
        await FluentActions.Awaiting(() => userStore.GetOrCreateSessionAsync(user.ToString(), "wf")).Should().ThrowAsync<ChatAccessDeniedException>()
            .WithMessage("*No access token*");

        tokenAsked.Should().BeTrue();
        Env.Server.Requests.Where(r => r.Headers.GetValueOrDefault("authorization") != "Bearer " + Env.Server.ServiceRoleKey || r.Body.Contains(user.ToString(), StringComparison.Ordinal))
            .Should().BeEmpty();
    }

    [Fact]
    public void A_store_built_by_hand_checks_its_options()
    {
        var act = () => new SupabaseChatSessionStore(Env.Http, new SupabaseChatStoreOptions { Url = Env.Server.Url });

        act.Should().Throw<ArgumentException>().WithMessage("*ServiceRoleKey*");
    }
}
