using FluentAssertions;
using Xunit;

namespace ChatPersistence.Sdk.ConformanceTests;

/// <summary>
/// The base of every conformance suite. It carries the guard: a test that fails when the store's test project does not
/// subclass every suite of this assembly for its fixture, so a store cannot silently skip part of the contract.
/// </summary>
/// <typeparam name="TFixture">The store's fixture.</typeparam>
public abstract class ConformanceSuite<TFixture> : IClassFixture<TFixture>
    where TFixture : ChatStoreFixture
{
    /// <summary>Creates the suite over the store's fixture.</summary>
    /// <param name="fixture">The fixture.</param>
    protected ConformanceSuite(TFixture fixture) => Fixture = fixture;

    /// <summary>The store's fixture.</summary>
    protected TFixture Fixture { get; }

    /// <summary>Creates a new user and returns it with the store acting for it.</summary>
    /// <returns>The user id and its store.</returns>
    protected async Task<TestUser> NewUserAsync()
    {
        var userId = await Fixture.CreateUserAsync();
        return new TestUser(userId, Fixture.StoreFor(userId));
    }

    /// <summary>Creates a new user with one session for a fresh workflow.</summary>
    /// <param name="title">The session title.</param>
    /// <returns>The user, its store and the session.</returns>
    protected async Task<TestSession> NewSessionAsync(string? title = null)
    {
        var user = await NewUserAsync();
        var session = await user.Store.GetOrCreateSessionAsync(user.Id, "wf-" + Guid.NewGuid().ToString("N"), title);
        return new TestSession(user.Id, user.Store, session);
    }

    /// <summary>Appends <paramref name="count"/> user messages "m0", "m1"… one call per batch of up to 100.</summary>
    /// <param name="s">The session.</param>
    /// <param name="count">How many.</param>
    /// <param name="createdAt">An optional identical creation time for all of them.</param>
    /// <returns>The stored messages in order.</returns>
    protected static async Task<List<StoredChatMessage>> AppendManyAsync(TestSession s, int count, DateTimeOffset? createdAt = null)
    {
        var stored = new List<StoredChatMessage>(count);
        for (var offset = 0; offset < count; offset += ChatPersistenceLimits.MaxBatchSize)
        {
            var batch = Enumerable.Range(offset, Math.Min(ChatPersistenceLimits.MaxBatchSize, count - offset))
                .Select(i => NewChatMessage.User("m" + i) with { CreatedAt = createdAt })
                .ToArray();
            stored.AddRange(await s.Store.AppendMessagesAsync(s.UserId, s.Session.Id, batch));
        }

        return stored;
    }

    /// <summary>Reads the whole history of a session, oldest first, through the store's own paging.</summary>
    /// <param name="s">The session.</param>
    /// <returns>The messages.</returns>
    protected static async Task<List<StoredChatMessage>> ReadAllAsync(TestSession s)
    {
        var all = new List<StoredChatMessage>();
        await foreach (var m in s.Store.StreamMessagesAsync(s.UserId, s.Session.Id, ChatHistoryStart.Oldest, ChatPersistenceLimits.MaxPageSize))
        {
            all.Add(m);
        }

        return all;
    }

    /// <summary>Fails when the store's test project leaves out a suite.</summary>
    [Fact]
    public void Store_test_project_runs_every_conformance_suite()
    {
        var suites = typeof(ConformanceSuite<>).Assembly.GetTypes()
            .Where(t => t.IsAbstract && t.IsGenericTypeDefinition && t != typeof(ConformanceSuite<>) && DerivesFrom(t, typeof(ConformanceSuite<>)))
            .ToArray();
        suites.Should().NotBeEmpty();
        var concrete = GetType().Assembly.GetTypes().Where(t => !t.IsAbstract).ToArray();
        var missing = suites
            .Where(suite => !concrete.Any(t => DerivesFrom(t, suite.MakeGenericType(typeof(TFixture)))))
            .Select(suite => suite.Name)
            .ToArray();
        if (Fixture.IsPartialRun)
        {
            missing.Should().NotBeEmpty($"{typeof(TFixture).Name} says it is a partial run; if it runs every suite, drop IsPartialRun");
            return;
        }

        missing.Should().BeEmpty(
            $"every conformance suite must run against {typeof(TFixture).Name}: subclass each of them in {GetType().Assembly.GetName().Name}");
    }

    private static bool DerivesFrom(Type type, Type baseType)
    {
        for (var t = type.BaseType; t is not null; t = t.BaseType)
        {
            if (t == baseType || (baseType.IsGenericTypeDefinition && t.IsGenericType && t.GetGenericTypeDefinition() == baseType))
            {
                return true;
            }
        }

        return false;
    }
}
