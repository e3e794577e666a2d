using FluentAssertions;
using Npgsql;
using Xunit;

namespace ChatPersistence.Sdk.Postgres.Tests;

/// <summary>
/// A login role that is a member of <c>authenticated</c> (what docs/postgres.md's user mode asks a host to create) is not
/// a trusted caller: with no claims it may not act for anyone, and with a user's claims only for that user — whatever ids
/// it passes to whichever function, the private ones included.
/// </summary>
public sealed class LoginRoleCallerTests(RlsFixture fixture) : IClassFixture<RlsFixture>
{
    // {A}: A's user id, {S}: A's session, {M}: A's message. Every function, called with A's ids.
    public static readonly TheoryData<string> CallsWithAsIds = new()
    {
        "select id from public.chat_get_or_create_session('workflow-a', null, '{A}')",
        "select id from public.chat_get_session('{S}', '{A}')",
        "select id from public.chat_list_sessions(10, null, null, '{A}')",
        "select id from public.chat_rename_session('{S}', 'hacked', '{A}')",
        "select id from public.chat_append_messages('{S}', jsonb_build_array(jsonb_build_object('id', gen_random_uuid(), 'role', 'user', 'content', 'intruder')), '{A}')",
        "select public.chat_read_messages('{S}', 10, true, null, '{A}')",
        "select public.chat_clear_session('{S}', '{A}')",
        "select public.chat_delete_session('{S}', '{A}')",
        "select id from public.chat_search('segredo', 10, 0, null, '{A}')",
        "select id from chat_private.chat_search_hits('segredo', 10, 0, null, '{A}')",
        "select id from public.chat_set_favorite('{M}', false, '{A}')",
        "select id from public.chat_list_favorites(10, null, null, '{A}')",
        "select public.chat_delete_idle_sessions(now() + interval '1 day', 10)",
        "select chat_private.chat_caller('{A}')",
    };

    [Theory]
    [MemberData(nameof(CallsWithAsIds))]
    public async Task Without_claims_it_is_refused_and_nothing_of_As_changes(string sql)
    {
        var error = await RunAsync(sql, claims: null);

        error.Should().NotBeNull();
        error!.SqlState.Should().Be("42501");
        (await fixture.SnapshotAsync()).Should().Be(await Baseline());
    }

    [Theory]
    [MemberData(nameof(CallsWithAsIds))]
    public async Task With_Bs_claims_it_cannot_reach_As_data(string sql)
    {
        var error = await RunAsync(sql, claims: $$"""{"sub":"{{fixture.UserB}}","role":"authenticated"}""");

        error.Should().NotBeNull("B may not act for A");
        error!.SqlState.Should().Be("42501");
        (await fixture.SnapshotAsync()).Should().Be(await Baseline());
    }

    [Fact]
    public async Task With_Bs_claims_and_no_ids_it_sees_only_Bs_own_data()
    {
        var claims = $$"""{"sub":"{{fixture.UserB}}","role":"authenticated"}""";
        (await CountAsync("select count(*) from public.chat_search('segredo', 10)", claims)).Should().Be(0);
        (await CountAsync("select count(*) from public.chat_messages", claims)).Should().Be(0);
        (await CountAsync("select count(*) from public.chat_list_sessions(10)", claims)).Should().Be(0);
    }

    private string? _baseline;

    private async Task<string> Baseline() => _baseline ??= await fixture.SnapshotAsync();

    private async Task<NpgsqlDataSource> LoginRoleAsync()
    {
        // A login role that is a member of authenticated, as docs/postgres.md's user mode describes.
        await using (var create = fixture.Admin.CreateCommand(
            "do $$ begin if not exists (select 1 from pg_roles where rolname = 'chat_app_login') then " +
            "create role chat_app_login login password 'chat_app_login'; end if; end $$; grant authenticated to chat_app_login"))
        {
            await create.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(fixture.Admin.ConnectionString) { Username = "chat_app_login", Password = "chat_app_login" };
        return NpgsqlDataSource.Create(builder.ConnectionString);
    }

    private async Task<PostgresException?> RunAsync(string sql, string? claims)
    {
        _ = await Baseline();
        await using var login = await LoginRoleAsync();
        await using var connection = await login.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        if (claims is not null)
        {
            await using var setup = new NpgsqlCommand("select set_config('request.jwt.claims', $1, true)", connection, transaction);
            setup.Parameters.AddWithValue(claims);
            await setup.ExecuteNonQueryAsync();
        }

        try
        {
            await using var command = new NpgsqlCommand(
                sql.Replace("{A}", fixture.UserA.ToString()).Replace("{S}", fixture.SessionA.ToString()).Replace("{M}", fixture.MessageA.ToString()),
                connection, transaction);
            await command.ExecuteNonQueryAsync();
            await transaction.CommitAsync();
            return null;
        }
        catch (PostgresException ex)
        {
            return ex;
        }
    }

    private async Task<long> CountAsync(string sql, string claims)
    {
        await using var login = await LoginRoleAsync();
        await using var connection = await login.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var setup = new NpgsqlCommand("select set_config('request.jwt.claims', $1, true)", connection, transaction))
        {
            setup.Parameters.AddWithValue(claims);
            await setup.ExecuteNonQueryAsync();
        }

        await using var command = new NpgsqlCommand(sql, connection, transaction);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
