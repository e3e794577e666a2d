-- TEST-ONLY: a database prepared the way a hosted Supabase project's is, before any user migration runs, written from
-- Supabase's published definitions (supabase/postgres init-scripts 00000000000000-initial-schema.sql and
-- 00000000000001-auth-schema.sql, migrations 10000000000000_demote-postgres.sql, 20221028101028_set_authenticator_timeout,
-- 20231130133139_set_lock_timeout_to_authenticator_role, 20230529180330_alter_api_roles_for_inherit; supabase/auth
-- migrations for auth.uid()/role()/jwt(); Supabase "Database configuration" for the per-role timeouts).
-- Run by a superuser (Supabase: supabase_admin; the C# test cluster and .ci/supabase-checks.sh use this file) in the
-- database the migrations go into; it makes `postgres` that database's owner. Plain SQL, safe to run again. A real Supabase project already has
-- all of it; the migrations then run as `postgres`, which is NOT a superuser.
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then create role anon nologin noinherit; end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then create role authenticated nologin noinherit; end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then create role service_role nologin noinherit bypassrls; end if;
  -- The login role PostgREST connects as; it switches to one of the three with SET LOCAL ROLE per request.
  if not exists (select 1 from pg_roles where rolname = 'authenticator') then
    create role authenticator login noinherit password 'authenticator';
  end if;
  -- The role that runs users' migrations (SQL editor, supabase db push): not a superuser (demote-postgres.sql).
  if not exists (select 1 from pg_roles where rolname = 'postgres') then
    create role postgres login nosuperuser createdb createrole replication bypassrls password 'postgres';
  end if;
end $$;
alter role anon inherit;
alter role authenticated inherit;
alter role service_role inherit;
grant anon, authenticated, service_role to authenticator;
grant anon, authenticated, service_role to postgres;
alter role postgres set search_path = "$user", public, extensions;
-- The database, and so its public schema (owned by pg_database_owner), belongs to postgres.
do $$ begin execute format('alter database %I owner to postgres', current_database()); end $$;

-- Per-role settings PostgREST applies when it impersonates a role (and PostgreSQL at login for authenticator).
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';

-- Supabase Auth's schema belongs to Supabase; postgres may use it but not grant on it.
create schema if not exists auth;
grant usage on schema auth to anon, authenticated, service_role, postgres;

create table if not exists auth.users (
  id uuid primary key,
  email text,
  created_at timestamptz not null default now()
);
grant select, insert, update, delete, references on auth.users to postgres;

create or replace function auth.uid() returns uuid language sql stable as $$
  select coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                  (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid
$$;
create or replace function auth.role() returns text language sql stable as $$
  select coalesce(nullif(current_setting('request.jwt.claim.role', true), ''),
                  (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role'))::text
$$;
create or replace function auth.jwt() returns jsonb language sql stable as $$
  select coalesce(nullif(current_setting('request.jwt.claim', true), ''),
                  nullif(current_setting('request.jwt.claims', true), ''))::jsonb
$$;
grant execute on function auth.uid(), auth.role(), auth.jwt() to anon, authenticated, service_role, postgres;

-- Extensions live in their own schema, owned by postgres, usable by the API roles.
create schema if not exists extensions authorization postgres;
grant usage on schema extensions to anon, authenticated, service_role;

grant usage on schema public to postgres, anon, authenticated, service_role;

-- Supabase's default privileges: everything postgres creates in public is granted to the API roles (RLS and the
-- migrations' REVOKEs must protect data).
alter default privileges for role postgres in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on sequences to postgres, anon, authenticated, service_role;
