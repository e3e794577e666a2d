using ChatPersistence.Sdk.PostgresTesting;
using FluentAssertions;
using Npgsql;
using Xunit;

namespace ChatPersistence.Sdk.Postgres.Tests;

/// <summary>
/// Runs the pgTAP file that Supabase users run with `supabase test db` (supabase/tests/) against a fresh database with the
/// migration applied, and checks its TAP output. Needs the pgTAP extension (Debian: postgresql-15-pgtap).
/// </summary>
public sealed class PgTapTests
{
    [Fact]
    public async Task The_shipped_pgtap_rls_tests_pass()
    {
        var root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "ChatPersistence.Sdk.sln")))
        {
            root = Path.GetDirectoryName(root.TrimEnd(Path.DirectorySeparatorChar))!;
        }

        var script = await File.ReadAllTextAsync(Path.Combine(root, "supabase", "tests", "chat_persistence_rls.test.sql"));
        var cluster = await PostgresCluster.GetAsync();
        // As `supabase test db` runs them: as the database owner, postgres, which is not a superuser.
        await using var db = NpgsqlDataSource.Create(cluster.OwnerConnectionString(await cluster.CreateDatabaseAsync()));
        await using (var check = db.CreateCommand("select count(*) from pg_available_extensions where name = 'pgtap'"))
        {
            ((long)(await check.ExecuteScalarAsync())!).Should().Be(1,
                "the pgTAP extension must be installed on the server (Debian: `apt-get install postgresql-15-pgtap`; `bash .ci/run` does it)");
        }

        var tap = new List<string>();
        await using (var command = db.CreateCommand(script))
        await using (var reader = await command.ExecuteReaderAsync())
        {
            do
            {
                if (reader.FieldCount == 1 && reader.GetDataTypeName(0) == "text")
                {
                    while (await reader.ReadAsync())
                    {
                        tap.AddRange(reader.GetString(0).Split('\n'));
                    }
                }
            }
            while (await reader.NextResultAsync());
        }

        var output = string.Join('\n', tap);
        tap.Should().Contain("1..54", output);
        tap.Count(l => l.StartsWith("ok ", StringComparison.Ordinal)).Should().Be(54, output);
        tap.Should().NotContain(l => l.StartsWith("not ok", StringComparison.Ordinal), output);
    }
}
