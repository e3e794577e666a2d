using System.Reflection;
using Npgsql;

namespace ChatPersistence.Sdk.Postgres;

/// <summary>
/// The SQL that creates and upgrades the chat schema (tables, indexes, Row Level Security, functions) in PostgreSQL or
/// Supabase. They are the Supabase CLI project's migrations (<c>supabase/migrations</c> in the repository, applied by
/// <c>supabase db push</c>), embedded here and also shipped as plain files in the package's <c>content/migrations</c>
/// folder, for <c>psql -f</c>.
/// </summary>
public static class ChatPersistenceMigrations
{
    private const string Prefix = "ChatPersistence.Migrations.";
    private static readonly Lazy<ChatPersistenceMigration[]> Scripts = new(Load);

    /// <summary>Every migration, in the order to apply them.</summary>
    public static IReadOnlyList<ChatPersistenceMigration> All => Scripts.Value;

    /// <summary>The latest schema version these migrations produce.</summary>
    public static int LatestVersion => All[^1].Version;

    /// <summary>All migrations as one script, in order (each is idempotent, so the script may be applied any number of times).</summary>
    /// <returns>The SQL text.</returns>
    public static string GetScript() => string.Join("\n\n", All.Select(m => $"-- {m.Name}\n{m.Sql}"));

    /// <summary>Applies every migration through a connection with the rights of the database owner.</summary>
    /// <param name="dataSource">A data source that logs in as the database owner (Supabase: <c>postgres</c>).</param>
    /// <param name="cancellationToken">Cancels the operation.</param>
    /// <returns>A task that completes when the schema is up to date.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="dataSource"/> is <see langword="null"/>.</exception>
    /// <exception cref="PostgresException">A script failed; nothing of that script is applied (each runs in one transaction).</exception>
    public static async Task ApplyAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            foreach (var migration in All)
            {
                var command = new NpgsqlCommand(migration.Sql, connection);
                await using (command.ConfigureAwait(false))
                {
                    await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private static ChatPersistenceMigration[] Load()
    {
        var assembly = typeof(ChatPersistenceMigrations).Assembly;
        // The files are supabase/migrations/<14-digit timestamp>_<name>.sql: the name's order is the order to apply them.
        return assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(Prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select((n, index) =>
            {
                using var stream = assembly.GetManifestResourceStream(n)!;
                using var reader = new StreamReader(stream);
                return new ChatPersistenceMigration(index + 1, n[Prefix.Length..], reader.ReadToEnd());
            })
            .ToArray();
    }
}
