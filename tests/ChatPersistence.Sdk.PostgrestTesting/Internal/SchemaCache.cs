using Npgsql;

namespace ChatPersistence.Sdk.PostgrestTesting.Internal;

/// <summary>
/// What PostgREST's schema cache knows (PostgREST "Schema Cache" reference): the functions with named arguments and the
/// tables of every exposed schema (<c>db-schemas</c>), and the per-role settings (<c>ALTER ROLE … SET</c>, from
/// <c>pg_db_role_setting</c>) that PostgREST applies when it impersonates a role. Loaded once at start; like PostgREST,
/// objects and settings changed later are unknown until a reload.
/// </summary>
internal sealed class SchemaCache
{
    private SchemaCache(IReadOnlyList<PgFunction> functions, IReadOnlyList<PgTable> tables, IReadOnlyDictionary<string, IReadOnlyList<KeyValuePair<string, string>>> roleSettings)
    {
        Functions = functions;
        Tables = tables;
        RoleSettings = roleSettings;
    }

    public IReadOnlyList<PgFunction> Functions { get; }

    public IReadOnlyList<PgTable> Tables { get; }

    /// <summary>Per role: the settings to apply inside its transactions (database-specific ones override global ones).</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<KeyValuePair<string, string>>> RoleSettings { get; }

    public static async Task<SchemaCache> LoadAsync(NpgsqlDataSource dataSource, IReadOnlyList<string> schemas)
    {
        var functions = new List<PgFunction>();
        await using (var command = dataSource.CreateCommand("""
            select n.nspname, p.proname,
                   case when p.proargnames is null then array[]::text[] else
                   coalesce((select array_agg(a.n order by a.i)
                             from unnest(p.proargnames, coalesce(p.proargmodes, array_fill('i'::"char", array[cardinality(p.proargnames)])))
                                  with ordinality a(n, m, i)
                             where a.m in ('i', 'b', 'v')), array[]::text[]) end as in_names,
                   coalesce((select array_agg(format_type(x.t, null) order by x.i)
                             from unnest(p.proargtypes::oid[]) with ordinality x(t, i)), array[]::text[]) as in_types,
                   p.pronargdefaults, p.proretset, t.typtype in ('c', 'p') and t.oid <> 'void'::regtype as composite, t.oid = 'void'::regtype as void, p.provolatile::text
            from pg_proc p
            join pg_namespace n on n.oid = p.pronamespace
            join pg_type t on t.oid = p.prorettype
            where n.nspname = any($1) and p.prokind = 'f'
            """))
        {
            command.Parameters.AddWithValue(schemas.ToArray());
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var names = reader.IsDBNull(2) ? [] : reader.GetFieldValue<string[]>(2);
                var types = reader.GetFieldValue<string[]>(3);
                if (names.Length != types.Length || names.Any(string.IsNullOrEmpty))
                {
                    continue; // This server calls only functions whose arguments are all named.
                }

                functions.Add(new PgFunction(reader.GetString(0), reader.GetString(1), names, types, reader.GetInt16(4), reader.GetBoolean(5), reader.GetBoolean(6), reader.GetBoolean(7), reader.GetString(8)[0]));
            }
        }

        var tables = new Dictionary<(string, string), Dictionary<string, string>>();
        var keys = new Dictionary<(string, string), List<string>>();
        await using (var command = dataSource.CreateCommand("""
            select n.nspname, c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                   exists (select 1 from pg_index i where i.indrelid = c.oid and i.indisprimary and a.attnum = any (i.indkey)) as pk
            from pg_class c
            join pg_namespace n on n.oid = c.relnamespace
            join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
            where n.nspname = any($1) and c.relkind in ('r', 'v', 'p', 'm')
            order by n.nspname, c.relname, a.attnum
            """))
        {
            command.Parameters.AddWithValue(schemas.ToArray());
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var key = (reader.GetString(0), reader.GetString(1));
                if (!tables.TryGetValue(key, out var columns))
                {
                    tables[key] = columns = new Dictionary<string, string>(StringComparer.Ordinal);
                    keys[key] = [];
                }

                columns[reader.GetString(2)] = reader.GetString(3);
                if (reader.GetBoolean(4))
                {
                    keys[key].Add(reader.GetString(2));
                }
            }
        }

        // PostgREST reads every role's settings (its "role settings" query: pg_db_role_setting for the current database and
        // for all databases, the database-specific value winning) and applies the impersonated role's with set_config.
        var settings = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        await using (var command = dataSource.CreateCommand("""
            select r.rolname, split_part(s.setting, '=', 1), substr(s.setting, strpos(s.setting, '=') + 1)
            from pg_db_role_setting d
            join pg_roles r on r.oid = d.setrole
            cross join lateral unnest(d.setconfig) s(setting)
            where d.setdatabase in (0, (select oid from pg_database where datname = current_database()))
            order by r.rolname, d.setdatabase
            """))
        {
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                if (!settings.TryGetValue(reader.GetString(0), out var role))
                {
                    settings[reader.GetString(0)] = role = new Dictionary<string, string>(StringComparer.Ordinal);
                }

                role[reader.GetString(1)] = reader.GetString(2);
            }
        }

        return new SchemaCache(
            functions,
            tables.Select(t => new PgTable(t.Key.Item1, t.Key.Item2, t.Value, keys[t.Key])).ToList(),
            settings.ToDictionary(s => s.Key, s => (IReadOnlyList<KeyValuePair<string, string>>)s.Value.ToList(), StringComparer.Ordinal));
    }
}
