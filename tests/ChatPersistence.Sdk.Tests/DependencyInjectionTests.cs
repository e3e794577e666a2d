using FluentAssertions;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using NSubstitute;
using Xunit;

namespace ChatPersistence.Sdk.Tests;

public sealed class DependencyInjectionTests
{
    [Fact]
    public async Task AddChatPersistence_UseInMemory_resolves_a_working_singleton_store()
    {
        var services = new ServiceCollection();
        services.AddChatPersistence().UseInMemory();
        await using var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var store = provider.GetRequiredService<IChatSessionStore>();
        store.Should().BeOfType<InMemoryChatSessionStore>().And.BeSameAs(provider.GetRequiredService<IChatSessionStore>());
        var session = await store.GetOrCreateSessionAsync("u", "w");
        await store.AppendMessageAsync("u", session.Id, NewChatMessage.User("hi"));
        (await store.GetMessagesAsync("u", session.Id)).Messages.Should().ContainSingle();
    }

    [Fact]
    public void Calling_AddChatPersistence_twice_returns_the_same_builder_and_registers_once()
    {
        var services = new ServiceCollection();
        var first = services.AddChatPersistence();
        var second = services.AddChatPersistence();
        second.Should().BeSameAs(first);
        services.Count(d => d.ServiceType == typeof(IChatSessionStore)).Should().Be(1);
    }

    [Fact]
    public void Without_a_store_resolution_fails_with_a_helpful_message()
    {
        var services = new ServiceCollection();
        services.AddChatPersistence();
        using var provider = services.BuildServiceProvider();
        var act = () => provider.GetRequiredService<IChatSessionStore>();
        act.Should().Throw<InvalidOperationException>().WithMessage("*UseInMemory()*UseSqlite*");
    }

    [Fact]
    public void Options_are_bound_from_the_ChatPersistence_configuration_section()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ChatPersistence:MaxContentBytes"] = "2048", ["ChatPersistence:MaxMetadataBytes"] = "512" })
            .Build();
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddChatPersistence().UseInMemory();
        using var provider = services.BuildServiceProvider();

        var options = provider.GetRequiredService<IOptions<ChatPersistenceOptions>>().Value;
        options.MaxContentBytes.Should().Be(2048);
        options.MaxMetadataBytes.Should().Be(512);
    }

    [Fact]
    public async Task Configured_limits_are_enforced_by_the_registered_store()
    {
        var services = new ServiceCollection();
        services.AddChatPersistence(o => o.MaxContentBytes = 10).UseInMemory();
        await using var provider = services.BuildServiceProvider();
        var store = provider.GetRequiredService<IChatSessionStore>();
        var session = await store.GetOrCreateSessionAsync("u", "w");
        var act = () => store.AppendMessageAsync("u", session.Id, NewChatMessage.User("more than ten bytes"));
        await act.Should().ThrowAsync<ArgumentException>().WithMessage("*maximum is 10*");
    }

    [Fact]
    public void Invalid_options_fail_with_a_message_naming_the_setting()
    {
        var services = new ServiceCollection();
        services.AddChatPersistence(o => o.MaxContentBytes = 0).UseInMemory();
        using var provider = services.BuildServiceProvider();
        var act = () => provider.GetRequiredService<IOptions<ChatPersistenceOptions>>().Value;
        act.Should().Throw<OptionsValidationException>().WithMessage("*ChatPersistence:MaxContentBytes*");
    }

    [Fact]
    public async Task Decorators_apply_in_order_the_first_added_outermost()
    {
        var calls = new List<string>();
        var services = new ServiceCollection();
        services.AddChatPersistence()
            .UseStore(_ =>
            {
                var inner = Substitute.For<IChatSessionStore>();
                inner.DeleteSessionAsync(default!, default, default).ReturnsForAnyArgs(_ =>
                {
                    calls.Add("store");
                    return true;
                });
                return inner;
            })
            .Use((inner, _) => new RecordingStore(inner, "outer", calls))
            .Use((inner, _) => new RecordingStore(inner, "inner", calls));
        await using var provider = services.BuildServiceProvider();

        var store = provider.GetRequiredService<IChatSessionStore>();
        (await store.DeleteSessionAsync("u", Guid.NewGuid())).Should().BeTrue();

        calls.Should().Equal("outer", "inner", "store");
    }
}
