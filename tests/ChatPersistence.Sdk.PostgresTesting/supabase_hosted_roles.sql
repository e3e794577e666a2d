-- TEST-ONLY: prepares an empty PostgreSQL 15 database the way a hosted Supabase project hands it to its user, so that
-- migrations and Supabase's own tools run against it as they would on supabase.com. Written from Supabase's published
-- definitions (supabase/postgres migrations/db: init-scripts/00000000000000-initial-schema.sql,
-- migrations/10000000000000_demote-postgres.sql, 20221028101028_set_authenticator_timeout.sql,
-- 20231130133139_set_lock_timeout_to_authenticator_role.sql; role memberships and ACLs as pg_dumpall shows them on a
-- hosted 15.x project) and the auth functions of tests/ChatPersistence.Sdk.PostgresTesting/supabase_auth_shim.sql.
--
-- Contract:
-- - Run it as the bootstrap superuser `supabase_admin` (initdb -U supabase_admin), connected to the database the
--   migration will go into (normally `postgres`), in one go (psql -v ON_ERROR_STOP=1 -f, or one Npgsql batch). Plain
--   SQL only, no psql meta-commands. Safe to run again on the same database.
-- - It sets no passwords: the caller gives `postgres` (and `authenticator`, if it logs in) one afterwards.
-- - It creates no extension: `create extension` of trusted ones (unaccent, btree_gin, pg_trgm, pgcrypto) works as
--   `postgres` through its ownership of schema `extensions`; the untrusted ones Supabase lets its users enable
--   (pgtap, plpgsql_check) the caller creates as supabase_admin with schema extensions when it needs them.
-- - Afterwards: role `postgres` is a login role that is NOT a superuser, owns the database (and so schema public, owned by
--   pg_database_owner) and schema extensions; migrations and tests connect as `postgres`.
do $$
begin
  if current_user <> 'supabase_admin' then
    raise exception 'supabase_hosted_roles.sql must run as the bootstrap superuser supabase_admin, not %', current_user;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'postgres') then create role postgres; end if;
  if not exists (select 1 from pg_roles where rolname = 'anon') then create role anon nologin; end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then create role authenticated nologin; end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then create role service_role nologin; end if;
  -- The login role PostgREST connects as; it switches to one of the three with SET LOCAL ROLE per request.
  if not exists (select 1 from pg_roles where rolname = 'authenticator') then create role authenticator; end if;
end $$;

-- The project owner: what the SQL editor and `supabase db push` run as. Not a superuser.
alter role postgres login nosuperuser createdb createrole replication bypassrls;
-- API roles (Supabase made them INHERIT in 2023; service_role bypasses RLS).
alter role anon nologin inherit;
alter role authenticated nologin inherit;
alter role service_role nologin inherit bypassrls;
alter role authenticator login noinherit;
grant anon, authenticated, service_role to authenticator;
-- postgres may SET ROLE to the API roles (SQL editor's "run as", pgTAP tests).
grant anon, authenticated, service_role to postgres;

do $$ begin execute format('alter database %I owner to postgres', current_database()); end $$;
grant usage on schema public to postgres, anon, authenticated, service_role;

create schema if not exists extensions;
alter schema extensions owner to postgres;
grant usage on schema extensions to postgres, anon, authenticated, service_role;

-- Schema auth belongs to Supabase, not to the user: postgres may use it and read/reference auth.users, with no grant
-- option (a `grant ... on schema auth` run by postgres prints "WARNING: no privileges were granted").
create schema if not exists auth authorization supabase_admin;
alter schema auth owner to supabase_admin;

create table if not exists auth.users (
  id uuid primary key,
  email text,
  created_at timestamptz not null default now()
);

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

grant usage on schema auth to anon, authenticated, service_role, postgres;
grant execute on function auth.uid(), auth.role(), auth.jwt() to anon, authenticated, service_role, postgres;
-- Hosted projects: GRANT ALL ON TABLE auth.users TO postgres (no grant option) — includes SELECT and REFERENCES
-- (foreign keys to auth.users) and lets tests insert users.
grant all on auth.users to postgres;

-- Supabase's default privileges: everything postgres creates in public is granted to the API roles (RLS and the
-- migration's REVOKEs are what protect data).
alter default privileges for role postgres in schema public grant all on tables to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on functions to postgres, anon, authenticated, service_role;
alter default privileges for role postgres in schema public grant all on sequences to postgres, anon, authenticated, service_role;

-- Per-role settings PostgREST applies in every request's transaction.
alter role anon set statement_timeout = '3s';
alter role authenticated set statement_timeout = '8s';
alter role authenticator set statement_timeout = '8s';
alter role authenticator set lock_timeout = '8s';
alter role postgres set search_path = "$user", public, extensions;
