using ChatPersistence.Sdk.PostgresTesting;
using Npgsql;
using Xunit;

namespace ChatPersistence.Sdk.Postgres.Tests;

/// <summary>A database with two users: A owns a session with two messages (one a favourite); B owns nothing of A's.</summary>
public sealed class RlsFixture : IAsyncLifetime
{
    public NpgsqlDataSource Admin { get; private set; } = null!;

    public Guid UserA { get; } = Guid.NewGuid();

    public Guid UserB { get; } = Guid.NewGuid();

    public Guid SessionA { get; private set; }

    public Guid MessageA { get; } = Guid.CreateVersion7();

    public async Task InitializeAsync()
    {
        var cluster = await PostgresCluster.GetAsync();
        Admin = NpgsqlDataSource.Create(cluster.ConnectionString(await cluster.CreateDatabaseAsync()));
        await using (var users = Admin.CreateCommand("insert into auth.users (id) values ($1), ($2)"))
        {
            users.Parameters.AddWithValue(UserA);
            users.Parameters.AddWithValue(UserB);
            await users.ExecuteNonQueryAsync();
        }

        await using var command = Admin.CreateCommand("select id from public.chat_get_or_create_session('workflow-a', 'A''s chat', $1)");
        command.Parameters.AddWithValue(UserA);
        SessionA = (Guid)(await command.ExecuteScalarAsync())!;
        await using var append = Admin.CreateCommand(
            "select count(*) from public.chat_append_messages($1, jsonb_build_array(" +
            "jsonb_build_object('id', $2::text, 'role', 'user', 'content', 'segredo da Alice'), " +
            "jsonb_build_object('id', gen_random_uuid(), 'role', 'assistant', 'content', 'resposta')), $3)");
        append.Parameters.AddWithValue(SessionA);
        append.Parameters.AddWithValue(MessageA);
        append.Parameters.AddWithValue(UserA);
        await append.ExecuteNonQueryAsync();
        await using var favourite = Admin.CreateCommand("update public.chat_messages set is_favorite = true where id = $1");
        favourite.Parameters.AddWithValue(MessageA);
        await favourite.ExecuteNonQueryAsync();
    }

    public async Task DisposeAsync() => await Admin.DisposeAsync();

    /// <summary>A fingerprint of all of A's data (sessions and messages). Another user creating their own rows does not change it.</summary>
    public async Task<string> SnapshotAsync()
    {
        await using var command = Admin.CreateCommand(
            "select coalesce((select string_agg(s::text, '|' order by s.id) from public.chat_sessions s where s.user_id = $1), '') || '#' || " +
            "coalesce((select string_agg(row(m.id, m.session_id, m.user_id, m.seq, m.role, m.content, m.metadata, m.is_favorite)::text, '|' order by m.seq) " +
            "from public.chat_messages m where m.user_id = $1 or m.session_id = $2), '')");
        command.Parameters.AddWithValue(UserA);
        command.Parameters.AddWithValue(SessionA);
        return (string)(await command.ExecuteScalarAsync())!;
    }
}
