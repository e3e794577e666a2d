using FluentAssertions;
using Npgsql;
using Xunit;

namespace ChatPersistence.Sdk.Postgres.Tests;

/// <summary>
/// The data source the store builds from a connection string keeps the SQL functions' cached plans: Npgsql's default reset
/// of a pooled connection (DISCARD ALL) would make every call plan all of their statements again.
/// </summary>
public sealed class OwnDataSourceTests
{
    [Fact]
    public void The_store_s_own_data_source_does_not_reset_pooled_connections()
    {
        var built = new NpgsqlConnectionStringBuilder(PostgresChatSessionStore.KeepPlans("Host=db.example;Username=chat;Password=secret;Database=app"));

        built.NoResetOnClose.Should().BeTrue();
        built.Host.Should().Be("db.example");
        built.Password.Should().Be("secret");
    }

    [Theory]
    [InlineData("Host=db.example;No Reset On Close=false")]
    [InlineData("Host=db.example;NoResetOnClose=false")]
    [InlineData("Host=db.example;no reset on close=False")]
    public void An_explicit_choice_in_the_connection_string_is_kept(string connectionString) =>
        new NpgsqlConnectionStringBuilder(PostgresChatSessionStore.KeepPlans(connectionString)).NoResetOnClose.Should().BeFalse();

    [Fact]
    public void An_empty_connection_string_is_refused() =>
        FluentActions.Invoking(() => new PostgresChatSessionStore("  ")).Should().Throw<ArgumentException>().WithParameterName("connectionString");
}
