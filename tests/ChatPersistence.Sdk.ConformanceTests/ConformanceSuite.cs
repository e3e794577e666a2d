using System.Reflection;
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
