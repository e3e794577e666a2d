using Npgsql;

namespace ChatPersistence.Sdk.Supabase.Tests;

/// <summary>Creates a schema <c>api</c>, empty or with a SECURITY INVOKER wrapper for every public chat function.</summary>
public static class ApiSchema
{
    public static async Task CreateEmptyAsync(NpgsqlDataSource admin)
    {
        await using var command = admin.CreateCommand("create schema api authorization postgres; grant usage on schema api to anon, authenticated, service_role");
        await command.ExecuteNonQueryAsync();
    }

    public static async Task CreateWithChatWrappersAsync(NpgsqlDataSource admin)
    {
        await CreateEmptyAsync(admin);
        await using var command = admin.CreateCommand("""
            set role postgres;
            do $$
            declare
              f record;
            begin
              for f in
                select p.proname, pg_get_function_arguments(p.oid) as args, pg_get_function_result(p.oid) as result,
                       p.proretset or t.typtype = 'c' as rows,
                       (select string_agg(format('%1$I => %1$I', n), ', ') from unnest(p.proargnames[1:p.pronargs]) n) as call,
                       pg_get_function_identity_arguments(p.oid) as identity,
                       case p.provolatile when 'v' then 'volatile' when 's' then 'stable' else 'immutable' end as volatility
                  from pg_proc p join pg_type t on t.oid = p.prorettype
                 where p.pronamespace = 'public'::regnamespace and p.proname like 'chat\_%'
              loop
                execute format('create function api.%I(%s) returns %s language sql %s security invoker set search_path = '''' as $f$ select %s public.%I(%s) $f$',
                               f.proname, f.args, f.result, f.volatility, case when f.rows then '* from' else '' end, f.proname, f.call);
                execute format('revoke all on function api.%I(%s) from public, anon', f.proname, f.identity);
                execute format('grant execute on function api.%I(%s) to authenticated, service_role', f.proname, f.identity);
              end loop;
            end $$;
            reset role;
            """);
        await command.ExecuteNonQueryAsync();
    }
}
