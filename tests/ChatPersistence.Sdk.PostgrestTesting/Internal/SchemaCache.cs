using Npgsql;

namespace ChatPersistence.Sdk.PostgrestTesting.Internal;

/// <summary>
/// What PostgREST's schema cache knows about the exposed schema: its functions with named arguments and its tables
/// (PostgREST "Schema Cache" reference). Loaded once at start; like PostgREST, objects created later are unknown until a reload.
/// </summary>
internal sealed class SchemaCache
{
    private SchemaCache(IReadOnlyList<PgFunction> functions, IReadOnlyDictionary<string, PgTable> tables)
    {
        Functions = functions;
        Tables = tables;
    }

    public IReadOnlyList<PgFunction> Functions { get; }

    public IReadOnlyDictionary<string, PgTable> Tables { get; }

    public static async Task<SchemaCache> LoadAsync(NpgsqlDataSource dataSource, string schema)
    {
        var functions = new List<PgFunction>();
        await using (var command = dataSource.CreateCommand("""
            select p.proname,
                   coalesce((select array_agg(a.n order by a.i)
                             from unnest(p.proargnames, coalesce(p.proargmodes, array_fill('i'::"char", array[cardinality(p.proargnames)])))
                                  with ordinality a(n, m, i)
                             where a.m in ('i', 'b', 'v')), array[]::text[]) as in_names,
                   coalesce((select array_agg(format_type(x.t, null) order by x.i)
                             from unnest(p.proargtypes::oid[]) with ordinality x(t, i)), array[]::text[]) as in_types,
                   p.pronargdefaults, p.proretset, t.typtype = 'c' as composite, p.provolatile::text
            from pg_proc p
            join pg_namespace n on n.oid = p.pronamespace
            join pg_type t on t.oid = p.prorettype
            where n.nspname = $1 and p.prokind = 'f' and p.proargnames is not null
            """))
        {
            command.Parameters.AddWithValue(schema);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                var names = reader.GetFieldValue<string[]>(1);
                var types = reader.GetFieldValue<string[]>(2);
                if (names.Length != types.Length || names.Any(string.IsNullOrEmpty))
                {
                    continue; // PostgREST exposes only functions whose arguments are all named.
                }

                functions.Add(new PgFunction(reader.GetString(0), names, types, reader.GetInt16(3), reader.GetBoolean(4), reader.GetBoolean(5), reader.GetString(6)[0]));
            }
        }

        var tables = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        await using (var command = dataSource.CreateCommand("""
            select c.relname, a.attname, format_type(a.atttypid, a.atttypmod)
            from pg_class c
            join pg_namespace n on n.oid = c.relnamespace
            join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
            where n.nspname = $1 and c.relkind in ('r', 'v', 'p', 'm')
            order by c.relname, a.attnum
            """))
        {
            command.Parameters.AddWithValue(schema);
            await using var reader = await command.ExecuteReaderAsync();
            while (await reader.ReadAsync())
            {
                if (!tables.TryGetValue(reader.GetString(0), out var columns))
                {
                    tables[reader.GetString(0)] = columns = new Dictionary<string, string>(StringComparer.Ordinal);
                }

                columns[reader.GetString(1)] = reader.GetString(2);
            }
        }

        return new SchemaCache(functions, tables.ToDictionary(t => t.Key, t => new PgTable(t.Key, t.Value), StringComparer.Ordinal));
    }
}
