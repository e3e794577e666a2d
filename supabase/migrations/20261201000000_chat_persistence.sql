-- ChatPersistence.Sdk — PostgreSQL / Supabase schema, version 1.
-- Idempotent: applying it again is a no-op; later versions are new files applied in order.
-- Runs as the database owner (Supabase: the `postgres` role, e.g. `psql -f` or `supabase db push`).
-- Requires a UTF-8 database. On Supabase every object it expects (auth.uid(), roles anon/authenticated/service_role,
-- schema extensions) already exists; on a self-hosted PostgreSQL the missing ones are created below.

begin;

-- ---------------------------------------------------------------------------------------------------------------
-- Roles and the auth helpers (Supabase has them; created only where missing, with Supabase's own definitions).
-- ---------------------------------------------------------------------------------------------------------------
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then create role anon nologin noinherit; end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then create role authenticated nologin noinherit; end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then create role service_role nologin noinherit bypassrls; end if;
end $$;

-- Schemas are created (and granted) only where missing: on Supabase `auth` belongs to Supabase and its owner gives the
-- migration's role no grant option on it, so a GRANT there would only print "no privileges were granted".
do $$
begin
  if to_regnamespace('auth') is null then
    create schema auth;
    grant usage on schema auth to anon, authenticated, service_role;
  end if;
  if to_regnamespace('extensions') is null then
    create schema extensions;
    grant usage on schema extensions to anon, authenticated, service_role;
  end if;
end $$;

-- The SDK's internal helpers live in their own schema, which PostgREST does not expose (Supabase exposes `public` and
-- `graphql_public` unless told otherwise): they are not RPC endpoints and do not appear in generated API types.
-- Signed-in users need USAGE only so that the public functions (SECURITY INVOKER) can call them.
create schema if not exists chat_private;
revoke all on schema chat_private from public;
grant usage on schema chat_private to authenticated, service_role;

do $$
begin
  -- auth.uid(): the `sub` claim of the request's JWT (PostgREST sets request.jwt.claims per request).
  if to_regprocedure('auth.uid()') is null then
    execute $f$
      create function auth.uid() returns uuid language sql stable as $b$
        select coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                        (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid
      $b$ $f$;
    execute 'grant execute on function auth.uid() to anon, authenticated, service_role';
  end if;
end $$;

-- Accent-insensitive search: the unaccent dictionary, wherever the extension lives (Supabase: schema extensions).
create extension if not exists unaccent with schema extensions;
-- GIN operator classes for plain types (uuid), so the search index can lead with user_id (PostgreSQL contrib; on Supabase).
create extension if not exists btree_gin with schema extensions;

do $$
declare
  v_schema text;
begin
  if not exists (select 1 from pg_ts_config where cfgname = 'chat_search' and cfgnamespace = 'public'::regnamespace) then
    select n.nspname into v_schema from pg_extension e join pg_namespace n on n.oid = e.extnamespace where e.extname = 'unaccent';
    create text search configuration public.chat_search (copy = pg_catalog.simple);
    -- Words pass through unaccent, then simple (lower case, no stemming): "Informação" -> "informacao".
    execute format(
      'alter text search configuration public.chat_search alter mapping for asciiword, asciihword, hword_asciipart, word, hword, hword_part, numword, numhword, hword_numpart with %I.unaccent, simple',
      v_schema);
  end if;
end $$;

-- ---------------------------------------------------------------------------------------------------------------
-- Tables
-- ---------------------------------------------------------------------------------------------------------------
create table if not exists public.chat_sessions (
  id              uuid        primary key default gen_random_uuid(),
  user_id         uuid        not null default auth.uid(),
  workflow_id     text        not null,
  title           text,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  message_count   bigint      not null default 0,
  last_message_at timestamptz,
  -- The UTC day of the latest activity, for retention's index: it changes at most once a day per session, so the appends
  -- that update updated_at stay HOT (see the indexes below).
  active_on       date        generated always as ((updated_at at time zone 'UTC')::date) stored,
  constraint chat_sessions_user_workflow_key unique (user_id, workflow_id),
  -- Target of chat_messages' composite foreign key: a message's user_id always equals its session's.
  constraint chat_sessions_id_user_key unique (id, user_id),
  constraint chat_sessions_workflow_id_check check (char_length(workflow_id) between 1 and 256),
  constraint chat_sessions_title_check check (title is null or char_length(title) <= 256)
) with (fillfactor = 90);

create table if not exists public.chat_messages (
  -- Defaults for a direct insert through the Data API (the original plan's saveMessage sends neither): a new UUID, the
  -- signed-in user. A client that sends its own id keeps retries idempotent (the functions, or the table API's
  -- on_conflict=id with resolution=ignore-duplicates).
  id          uuid        primary key default gen_random_uuid(),
  session_id  uuid        not null,
  user_id     uuid        not null default auth.uid(),
  seq         bigint      not null generated always as identity,
  role        text        not null,
  content     text        not null,
  metadata    jsonb       not null default '{}'::jsonb,
  created_at  timestamptz not null default now(),
  is_favorite boolean     not null default false,
  search      tsvector    generated always as (to_tsvector('public.chat_search'::regconfig, content)) stored,
  constraint chat_messages_session_fk foreign key (session_id, user_id)
    references public.chat_sessions (id, user_id) on delete cascade,
  constraint chat_messages_role_check check (role in ('user', 'assistant', 'system', 'tool')),
  constraint chat_messages_metadata_check check (jsonb_typeof(metadata) = 'object'),
  constraint chat_messages_content_check check (octet_length(content) <= 16777216),
  -- A message says something: text, or metadata (attachments, tool calls…) when the text is empty.
  constraint chat_messages_not_empty_check check (content <> '' or metadata <> '{}'::jsonb)
);

alter table public.chat_messages alter column id set default gen_random_uuid();
alter table public.chat_messages alter column user_id set default auth.uid();

do $$
begin
  if not exists (select 1 from pg_constraint where conname = 'chat_messages_not_empty_check' and conrelid = 'public.chat_messages'::regclass) then
    alter table public.chat_messages
      add constraint chat_messages_not_empty_check check (content <> '' or metadata <> '{}'::jsonb);
  end if;
end $$;

-- Sessions: get-or-create and a user's sessions (the unique key, which leads with user_id); retention by the day of the
-- latest activity. No index holds updated_at, message_count or last_message_at: every append updates them, and an update
-- that changes no indexed value is a HOT update — one new row version on the same page (fillfactor 90 leaves it room), no
-- index entry. With updated_at indexed (as it was for listing and retention), each append wrote five index entries into
-- chat_sessions, as much work as the message insert itself. Listing sorts the user's sessions (their number, not their
-- messages'); retention reads the days that qualify, oldest first (figures in docs/performance.md).
alter table public.chat_sessions set (fillfactor = 90);
alter table public.chat_sessions
  add column if not exists active_on date generated always as ((updated_at at time zone 'UTC')::date) stored;
drop index if exists public.chat_sessions_user_activity_idx;
drop index if exists public.chat_sessions_activity_idx;
create index if not exists chat_sessions_active_on_idx on public.chat_sessions (active_on);
-- Messages: keyset history, clear and the cascade from a session delete.
create index if not exists chat_messages_session_seq_idx on public.chat_messages (session_id, seq);
-- Favourites of a user, newest first (small: only favourites are indexed).
create index if not exists chat_messages_favorites_idx on public.chat_messages (user_id, seq desc) where is_favorite;
-- Full-text search, per user: one GIN index over (user_id, search) intersects the user's entries with the words', so a
-- word common to every user's messages costs the caller's matches only (measured on 1M messages: 190 ms -> 8 ms for a
-- word in every message) instead of the posting list of the whole table.
drop index if exists public.chat_messages_search_idx;
create index if not exists chat_messages_user_search_idx on public.chat_messages using gin (user_id, search);

-- When Supabase Auth's users table exists, a user's chats go with the user.
do $$
begin
  if to_regclass('auth.users') is not null
     and not exists (select 1 from pg_constraint where conname = 'chat_sessions_user_fk' and conrelid = 'public.chat_sessions'::regclass) then
    alter table public.chat_sessions
      add constraint chat_sessions_user_fk foreign key (user_id) references auth.users (id) on delete cascade;
  end if;
end $$;

-- ---------------------------------------------------------------------------------------------------------------
-- Row Level Security: every signed-in user sees and changes only their own rows, even through PostgREST's table
-- endpoints. (select auth.uid()) is evaluated once per statement, not per row. anon gets nothing; service_role has
-- BYPASSRLS; the owner is not subject to RLS.
-- ---------------------------------------------------------------------------------------------------------------
alter table public.chat_sessions enable row level security;
alter table public.chat_messages enable row level security;

drop policy if exists chat_sessions_select on public.chat_sessions;
drop policy if exists chat_sessions_insert on public.chat_sessions;
drop policy if exists chat_sessions_update on public.chat_sessions;
drop policy if exists chat_sessions_delete on public.chat_sessions;
create policy chat_sessions_select on public.chat_sessions for select to authenticated using (user_id = (select auth.uid()));
create policy chat_sessions_insert on public.chat_sessions for insert to authenticated with check (user_id = (select auth.uid()));
create policy chat_sessions_update on public.chat_sessions for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
create policy chat_sessions_delete on public.chat_sessions for delete to authenticated using (user_id = (select auth.uid()));

drop policy if exists chat_messages_select on public.chat_messages;
drop policy if exists chat_messages_insert on public.chat_messages;
drop policy if exists chat_messages_update on public.chat_messages;
drop policy if exists chat_messages_delete on public.chat_messages;
create policy chat_messages_select on public.chat_messages for select to authenticated using (user_id = (select auth.uid()));
create policy chat_messages_insert on public.chat_messages for insert to authenticated with check (user_id = (select auth.uid()));
create policy chat_messages_update on public.chat_messages for update to authenticated
  using (user_id = (select auth.uid())) with check (user_id = (select auth.uid()));
create policy chat_messages_delete on public.chat_messages for delete to authenticated using (user_id = (select auth.uid()));

-- Grants: Supabase's default privileges give anon, authenticated and service_role ALL on new tables and sequences in
-- public — TRUNCATE, TRIGGER and REFERENCES included, which Row Level Security does not cover (TRUNCATE ignores it).
-- Take everything back from the API roles and grant only the commands the policies govern.
revoke all on public.chat_sessions, public.chat_messages from public, anon, authenticated;
revoke truncate, trigger, references on public.chat_sessions, public.chat_messages from service_role;
grant select, insert, update, delete on public.chat_sessions, public.chat_messages to authenticated, service_role;
-- The message order's identity sequence: nobody but the owner needs it (an identity column draws its values without
-- privileges on the sequence); `setval` by an API role would make every later append fail.
do $$
begin
  execute format('revoke all on sequence %s from public, anon, authenticated, service_role',
                 pg_catalog.pg_get_serial_sequence('public.chat_messages', 'seq'));
end $$;
-- Users write only what is theirs to say; the columns the database maintains are written by the triggers below (as the
-- owner), never by a user, whichever path a write takes (the functions, PostgREST's table endpoints, SQL):
-- - chat_sessions: a user inserts user_id (RLS: their own), workflow_id and title, and updates the title. UPDATE on
--   user_id and workflow_id is granted only so that PostgREST's upsert (ON CONFLICT … DO UPDATE SET user_id =
--   excluded.user_id, workflow_id = excluded.workflow_id) can run; chat_sessions_updating refuses any change to them.
--   id, created_at, updated_at, message_count, last_message_at (and active_on, generated) are the database's: a
--   PATCH of updated_at (retention would never remove the session) or of message_count is refused (42501).
-- - chat_messages: a user inserts the message (id, session_id, user_id, role, content, metadata, created_at) and
--   updates the favourite flag; never the order (seq), the search vector, or a message's text afterwards.
revoke insert, update on public.chat_sessions, public.chat_messages from authenticated;
grant insert (user_id, workflow_id, title) on public.chat_sessions to authenticated;
grant update (title, user_id, workflow_id) on public.chat_sessions to authenticated;
grant insert (id, session_id, user_id, role, content, metadata, created_at) on public.chat_messages to authenticated;
grant update (is_favorite) on public.chat_messages to authenticated;

-- ---------------------------------------------------------------------------------------------------------------
-- The columns the database maintains, whatever path a write takes. A message inserted directly (PostgREST's POST
-- /rest/v1/chat_messages, SQL) leaves the same state as chat_append_messages: the session's count, latest message time
-- and activity move, the change feed hears of it (its trigger fires on the count), the same constraints check it, and
-- it is ordered after the session's earlier messages (the session row is locked before its sequence is drawn, as the
-- function does). Deleting messages directly moves the count back (to 0: the feed's "cleared").
-- ---------------------------------------------------------------------------------------------------------------

-- Before each inserted message: lock its session row, so that messages of one session get their sequence in commit
-- order (a later append cannot commit a smaller seq after a larger one was seen). chat_append_messages has locked the
-- session already and says so in chat.locked_session (transaction-local, so the lock and the setting end together), and
-- the trigger's WHEN skips the call: the function's path pays no trigger call per message. Setting chat.locked_session
-- by hand only skips the lock for one's own inserts. SECURITY INVOKER: RLS applies (another user's session is not
-- locked; the composite foreign key refuses the message anyway).
create or replace function chat_private.chat_message_inserting()
returns trigger
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  perform 1 from public.chat_sessions s where s.id = new.session_id for no key update;
  return new;
end $$;

-- After each statement that inserted messages, once per session: the count, the latest message's time (the one with the
-- highest sequence) and the activity time. SECURITY DEFINER: no user may write these columns. It reads only the rows the
-- statement inserted (the transition table), which RLS and the foreign key have already checked.
create or replace function chat_private.chat_messages_inserted()
returns trigger
language plpgsql volatile security definer set search_path = ''
as $$
begin
  update public.chat_sessions s
     set updated_at = greatest(pg_catalog.now(), s.updated_at + interval '1 microsecond'),
         message_count = s.message_count + n.added,
         last_message_at = n.last_at
    from (select i.session_id, count(*) as added, (pg_catalog.array_agg(i.created_at order by i.seq desc))[1] as last_at
            from inserted i group by i.session_id) n
   where s.id = n.session_id;
  return null;
end $$;

-- After each statement that deleted messages (a clear, a direct delete, a session's cascade), once per session still there.
create or replace function chat_private.chat_messages_deleted()
returns trigger
language plpgsql volatile security definer set search_path = ''
as $$
begin
  update public.chat_sessions s
     set updated_at = greatest(pg_catalog.now(), s.updated_at + interval '1 microsecond'),
         message_count = greatest(s.message_count - d.removed, 0),
         last_message_at = (select c.created_at from public.chat_messages c where c.session_id = s.id order by c.seq desc limit 1)
    from (select o.session_id, count(*) as removed from deleted o group by o.session_id) d
   where s.id = d.session_id;
  return null;
end $$;

-- Before an update that names the title, user_id or workflow_id of a session (a rename; PostgREST's upsert): its user and
-- workflow do not change (the composite foreign key and the unique key rest on them), and the update is activity.
create or replace function chat_private.chat_session_updating()
returns trigger
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  if new.user_id is distinct from old.user_id or new.workflow_id is distinct from old.workflow_id then
    raise exception 'chat: a session''s user_id and workflow_id cannot change' using errcode = '42501';
  end if;
  new.updated_at := greatest(pg_catalog.now(), old.updated_at + interval '1 microsecond');
  return new;
end $$;

revoke all on function chat_private.chat_message_inserting(), chat_private.chat_messages_inserted(),
  chat_private.chat_messages_deleted(), chat_private.chat_session_updating()
  from public, anon, authenticated, service_role;

create or replace trigger chat_messages_inserting
  before insert on public.chat_messages
  for each row when (pg_catalog.current_setting('chat.locked_session', true) is distinct from new.session_id::text)
  execute function chat_private.chat_message_inserting();
create or replace trigger chat_messages_inserted
  after insert on public.chat_messages referencing new table as inserted
  for each statement execute function chat_private.chat_messages_inserted();
create or replace trigger chat_messages_deleted
  after delete on public.chat_messages referencing old table as deleted
  for each statement execute function chat_private.chat_messages_deleted();
create or replace trigger chat_sessions_updating
  before update of title, user_id, workflow_id on public.chat_sessions
  for each row execute function chat_private.chat_session_updating();

-- ---------------------------------------------------------------------------------------------------------------
-- Functions: one round trip per contract operation, SECURITY INVOKER (RLS applies), search_path pinned.
-- Errors: 22023 invalid input (HTTP 400 over PostgREST), 42501 not allowed (401/403), PT404 not found (404),
-- PT409 message id conflict (409).
-- ---------------------------------------------------------------------------------------------------------------

-- Earlier development builds had the helpers in public (callable over the Data API); they move to chat_private.
drop function if exists public.chat_caller(uuid);
drop function if exists public.chat_check_text(text, text, int, boolean);
drop function if exists public.chat_check_limit(int, int);
drop function if exists public.chat_require_session(uuid, uuid);
drop function if exists public.chat_search_query(text);
-- chat_read_messages returned one jsonb document in earlier development builds; it returns rows now.
do $$
begin
  if (select p.prorettype from pg_proc p where p.oid = to_regprocedure('public.chat_read_messages(uuid, int, boolean, bigint, uuid)')) = 'jsonb'::regtype then
    drop function public.chat_read_messages(uuid, int, boolean, bigint, uuid);
  end if;
end $$;

-- Who may name any user: an allowlist, never "any role but anon/authenticated". Trusted are the service role (and roles
-- that may become it, such as the API's login role) and the owner of the chat tables (the role that ran this migration,
-- and superusers). The caller is the role the request runs as — SET [LOCAL] ROLE as PostgREST and the PostgreSQL store
-- set it, else the login role — read so that it is also right inside a SECURITY DEFINER function, where current_user is
-- the owner. A login role that is merely a member of `authenticated` is not trusted.
-- PL/pgSQL rather than SQL: a `language sql` function with a SET clause is never inlined and is parsed and planned again
-- on every call (~0.1 ms here), while PL/pgSQL keeps its plans; the common case (a service-role member) is one simple
-- expression, and only other callers pay for the owner lookup.
create or replace function chat_private.chat_is_trusted()
returns boolean
language plpgsql stable security invoker set search_path = ''
as $$
declare
  v_role text := coalesce(nullif(pg_catalog.current_setting('role', true), 'none'), session_user::text);
begin
  if pg_catalog.pg_has_role(v_role, 'service_role', 'MEMBER') then
    return true;
  end if;
  return pg_catalog.pg_has_role(v_role, (select c.relowner from pg_catalog.pg_class c where c.oid = 'public.chat_sessions'::pg_catalog.regclass), 'MEMBER');
end $$;

-- Whose data a call acts on: a signed-in user (a JWT `sub` in request.jwt.claims) acts for themself (an explicit other
-- id is refused); trusted callers must name the user; anyone else is refused.
create or replace function chat_private.chat_caller(p_user_id uuid)
returns uuid
language plpgsql stable security invoker set search_path = ''
as $$
declare
  v_uid uuid := auth.uid();
begin
  if v_uid is not null then
    if p_user_id is not null and p_user_id <> v_uid then
      raise exception 'chat: the user id does not match the signed-in user' using errcode = '42501';
    end if;
    return v_uid;
  end if;
  if not chat_private.chat_is_trusted() then
    raise exception 'chat: sign in first' using errcode = '42501';
  end if;
  if p_user_id is null then
    raise exception 'chat: p_user_id is required for trusted callers' using errcode = '22023';
  end if;
  return p_user_id;
end $$;

create or replace function chat_private.chat_check_text(p_value text, p_name text, p_max int, p_required boolean)
returns void
language plpgsql immutable security invoker set search_path = ''
as $$
begin
  if p_value is null then
    if p_required then raise exception 'chat: % is required', p_name using errcode = '22023'; end if;
    return;
  end if;
  if p_required and btrim(p_value) = '' then
    raise exception 'chat: % must not be empty', p_name using errcode = '22023';
  end if;
  if char_length(p_value) > p_max then
    raise exception 'chat: % is longer than % characters', p_name, p_max using errcode = '22023';
  end if;
end $$;

create or replace function chat_private.chat_check_limit(p_limit int, p_max int)
returns void
language plpgsql immutable security invoker set search_path = ''
as $$
begin
  if p_limit is null or p_limit < 1 or p_limit > p_max then
    raise exception 'chat: the limit must be between 1 and %', p_max using errcode = '22023';
  end if;
end $$;

create or replace function chat_private.chat_require_session(p_session_id uuid, p_user uuid)
returns void
language plpgsql stable security invoker set search_path = ''
as $$
begin
  perform 1 from public.chat_sessions s where s.id = p_session_id and s.user_id = p_user;
  if not found then
    raise exception 'chat: session % not found', p_session_id using errcode = 'PT404';
  end if;
end $$;

create or replace function public.chat_get_or_create_session(p_workflow_id text, p_title text default null, p_user_id uuid default null)
returns setof public.chat_sessions
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
begin
  perform chat_private.chat_check_text(p_workflow_id, 'p_workflow_id', 256, true);
  perform chat_private.chat_check_text(p_title, 'p_title', 256, false);
  if p_workflow_id ~ '[[:cntrl:]]' then
    raise exception 'chat: p_workflow_id must not contain control characters' using errcode = '22023';
  end if;
  -- One statement, race-free: concurrent callers wait for the first insert and then read its row.
  insert into public.chat_sessions (user_id, workflow_id, title) values (v_user, p_workflow_id, p_title)
  on conflict (user_id, workflow_id) do nothing;
  return query select * from public.chat_sessions s where s.user_id = v_user and s.workflow_id = p_workflow_id;
end $$;

create or replace function public.chat_get_session(p_session_id uuid, p_user_id uuid default null)
returns setof public.chat_sessions
language sql stable security invoker set search_path = ''
as $$
  select * from public.chat_sessions s where s.id = p_session_id and s.user_id = chat_private.chat_caller(p_user_id);
$$;

create or replace function public.chat_list_sessions(
  p_limit int, p_after_updated_at timestamptz default null, p_after_id uuid default null, p_user_id uuid default null)
returns setof public.chat_sessions
language plpgsql stable security invoker set search_path = ''
as $$
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
begin
  perform chat_private.chat_check_limit(p_limit, 1000);
  return query
    select * from public.chat_sessions s
    where s.user_id = v_user
      and (p_after_updated_at is null or (s.updated_at, s.id) < (p_after_updated_at, p_after_id))
    order by s.updated_at desc, s.id desc
    limit p_limit;
end $$;

create or replace function public.chat_rename_session(p_session_id uuid, p_title text, p_user_id uuid default null)
returns setof public.chat_sessions
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
  v_row public.chat_sessions;
begin
  perform chat_private.chat_check_text(p_title, 'p_title', 256, false);
  -- chat_sessions_updating moves updated_at.
  update public.chat_sessions s set title = p_title where s.id = p_session_id and s.user_id = v_user
  returning * into v_row;
  if not found then
    raise exception 'chat: session % not found', p_session_id using errcode = 'PT404';
  end if;
  return next v_row;
end $$;

-- Raises an error with the given SQLSTATE: lets a single SQL statement refuse a row (in a CASE, evaluated only then).
create or replace function chat_private.chat_raise(p_code text, p_message text)
returns boolean
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  raise exception using errcode = p_code, message = p_message;
end $$;

-- Appends 1 to 100 messages to a session, atomically and idempotently by message id; returns them in input order.
-- Each element is an object {id, role, content, metadata?, created_at?}; the column types (uuid, text, jsonb,
-- timestamptz) and the table's constraints check it (the SDK validates everything before it sends). First the session row
-- is locked: appends to one session run one at a time, so sequence order is commit order. Each later statement takes a new
-- snapshot, so it sees what an append that held the lock before has committed.
-- The common case — none of the ids is stored yet — is one probe of the primary key and one INSERT … RETURNING; the
-- table's triggers update the session (one HOT update per statement) whichever way a message is inserted. A retry (some or all ids already stored) takes the second branch: it inserts only the new ids
-- and returns every row in input order. A stored id with other data, in another session or of another user (invisible
-- under RLS, so only the INSERT meets it) is a PT409 conflict naming the id, and rolls the whole batch back.
-- enable_seqscan = off: PL/pgSQL keeps a statement's generic plan, made with the statistics of the moment. Planned while
-- chat_messages was small (a new project), the id probe became a hash join over a sequential scan of the whole table and
-- stayed one as the table grew, until autovacuum's next ANALYZE: measured, a batch of 100 went from 10 ms to 27 ms within
-- two minutes. Every statement here has an index to use at any size.
create or replace function public.chat_append_messages(p_session_id uuid, p_messages jsonb, p_user_id uuid default null)
returns table (id uuid, session_id uuid, seq bigint, role text, content text, metadata jsonb, created_at timestamptz, is_favorite boolean)
language plpgsql volatile security invoker set search_path = '' set enable_seqscan = off
as $$
#variable_conflict use_column
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
  v_count int;
  v_inserted bigint;
  v_conflict uuid;
begin
  if pg_catalog.jsonb_typeof(p_messages) is distinct from 'array' then
    raise exception 'chat: p_messages must be a JSON array of 1 to 100 messages' using errcode = '22023';
  end if;
  v_count := pg_catalog.jsonb_array_length(p_messages);
  if v_count not between 1 and 100 then
    raise exception 'chat: p_messages must be a JSON array of 1 to 100 messages' using errcode = '22023';
  end if;
  perform 1 from public.chat_sessions s where s.id = p_session_id and s.user_id = v_user for update;
  if not found then
    raise exception 'chat: session % not found', p_session_id using errcode = 'PT404';
  end if;
  -- The session is locked until the transaction ends: chat_messages_inserting need not lock it again for each message.
  perform pg_catalog.set_config('chat.locked_session', p_session_id::text, true);
  if not exists (select from public.chat_messages c
                  where c.id in (select e.id from pg_catalog.jsonb_to_recordset(p_messages) as e(id uuid))) then
    return query
      insert into public.chat_messages as t (id, session_id, user_id, role, content, metadata, created_at)
      select e.id, p_session_id, v_user, e.role, e.content, coalesce(e.metadata, '{}'::jsonb), coalesce(e.created_at, pg_catalog.now())
        from rows from (pg_catalog.jsonb_to_recordset(p_messages)
                          as (id uuid, role text, content text, metadata jsonb, created_at timestamptz))
             with ordinality as e(id, role, content, metadata, created_at, ord)
       order by e.ord
      on conflict on constraint chat_messages_pkey do nothing
      returning t.id, t.session_id, t.seq, t.role, t.content, t.metadata, t.created_at, t.is_favorite;
    get diagnostics v_inserted = row_count;
    if v_inserted < v_count then
      -- An id the probe could not see (another user's, or stored meanwhile in another session), or one repeated in the batch.
      if (select count(distinct e.id) from pg_catalog.jsonb_to_recordset(p_messages) as e(id uuid)) <> v_count then
        raise exception 'chat: message ids in one batch must be distinct' using errcode = '22023';
      end if;
      select e.id into v_conflict from pg_catalog.jsonb_to_recordset(p_messages) as e(id uuid)
       where not exists (select from public.chat_messages c where c.id = e.id and c.session_id = p_session_id) limit 1;
      raise exception 'chat: message % is already stored with different data', v_conflict using errcode = 'PT409';
    end if;
    return;
  end if;
  return query
    with input as (
      select e.id, e.role, e.content, coalesce(e.metadata, '{}'::jsonb) as metadata,
             coalesce(e.created_at, pg_catalog.now()) as created_at, e.ord
        from rows from (pg_catalog.jsonb_to_recordset(p_messages)
                          as (id uuid, role text, content text, metadata jsonb, created_at timestamptz))
             with ordinality as e(id, role, content, metadata, created_at, ord)
    ), ins as (
      insert into public.chat_messages as t (id, session_id, user_id, role, content, metadata, created_at)
      select i.id, p_session_id, v_user, i.role, i.content, i.metadata, i.created_at from input i order by i.ord
      on conflict on constraint chat_messages_pkey do nothing
      returning t.id, t.session_id, t.seq, t.role, t.content, t.metadata, t.created_at, t.is_favorite
    ), prior as (
      -- The same snapshot as the insert: only rows stored before this call (rows of other users are invisible under RLS).
      select c.id, c.session_id, c.seq, c.role, c.content, c.metadata, c.created_at, c.is_favorite
        from public.chat_messages c where c.id in (select i.id from input i)
    )
    select coalesce(n.id, p.id), coalesce(n.session_id, p.session_id), coalesce(n.seq, p.seq), coalesce(n.role, p.role),
           coalesce(n.content, p.content), coalesce(n.metadata, p.metadata), coalesce(n.created_at, p.created_at),
           coalesce(n.is_favorite, p.is_favorite)
      from input i
      left join ins n on n.id = i.id
      left join prior p on p.id = i.id
     where case
             when (select count(distinct d.id) from input d) <> v_count
               then chat_private.chat_raise('22023', 'chat: message ids in one batch must be distinct')
             when n.id is null and (p.id is null or p.session_id <> p_session_id or p.role <> i.role
                                    or p.content <> i.content or p.metadata <> i.metadata)
               then chat_private.chat_raise('PT409', pg_catalog.format('chat: message %s is already stored with different data', i.id))
             else true
           end
     order by i.ord;
end $$;

-- One keyset page of history. p_older: messages below p_boundary (newest first) else above it (oldest first); no
-- boundary starts at that end. Returns the page's rows; `beyond` (the same on every row) tells whether a message lies on
-- the other side of the boundary (or at it). An empty page is one row whose message columns are null, so that `beyond`
-- still arrives. Rows, not an assembled jsonb: the page is one index range scan the caller reads as it comes.
-- Generic plans (plan_cache_mode): with a custom plan per call the planner would plan the page again on every call
-- (a LIMIT parameter makes the generic plan look costlier than it is); the keyset bounds are plain ranges, so the
-- generic plan is the index range scan whatever the arguments.
create or replace function public.chat_read_messages(
  p_session_id uuid, p_limit int, p_older boolean default true, p_boundary bigint default null, p_user_id uuid default null)
returns table (id uuid, session_id uuid, seq bigint, role text, content text, metadata jsonb, created_at timestamptz,
               is_favorite boolean, beyond boolean)
language plpgsql stable security invoker set search_path = '' set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
begin
  perform chat_private.chat_check_limit(p_limit, 1000);
  if coalesce(p_older, false) then
    return query
      select c.id, c.session_id, c.seq, c.role, c.content, c.metadata, c.created_at, c.is_favorite,
             -- max() on (session_id, seq) reads one index entry, whatever the session's size.
             p_boundary is not null and coalesce((select max(x.seq) from public.chat_messages x where x.session_id = p_session_id) >= p_boundary, false)
        from public.chat_messages c
       where c.session_id = p_session_id and c.seq < coalesce(p_boundary, 9223372036854775807)
         and exists (select from public.chat_sessions s where s.id = p_session_id and s.user_id = v_user)
       order by c.seq desc
       limit p_limit;
  else
    return query
      select c.id, c.session_id, c.seq, c.role, c.content, c.metadata, c.created_at, c.is_favorite,
             p_boundary is not null and coalesce((select min(x.seq) from public.chat_messages x where x.session_id = p_session_id) <= p_boundary, false)
        from public.chat_messages c
       where c.session_id = p_session_id and c.seq > coalesce(p_boundary, -9223372036854775808)
         and exists (select from public.chat_sessions s where s.id = p_session_id and s.user_id = v_user)
       order by c.seq
       limit p_limit;
  end if;
  if found then
    return;
  end if;
  -- An empty page: the session may not be the caller's, or it has no message on this side of the boundary.
  perform 1 from public.chat_sessions s where s.id = p_session_id and s.user_id = v_user;
  if not found then
    raise exception 'chat: session % not found', p_session_id using errcode = 'PT404';
  end if;
  return query
    select null::uuid, null::uuid, null::bigint, null::text, null::text, null::jsonb, null::timestamptz, null::boolean,
           p_boundary is not null and coalesce(case when coalesce(p_older, false)
                                                  then (select max(x.seq) from public.chat_messages x where x.session_id = p_session_id) >= p_boundary
                                                  else (select min(x.seq) from public.chat_messages x where x.session_id = p_session_id) <= p_boundary end, false);
end $$;

create or replace function public.chat_clear_session(p_session_id uuid, p_user_id uuid default null)
returns bigint
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
  v_deleted bigint;
begin
  -- Locked as an append locks it, so an append waits for the clear (or the clear for the append). chat_messages_deleted
  -- sets the count to 0 (the feed's "cleared"), the latest message time to null and moves updated_at; clearing a session
  -- that has no message changes nothing.
  perform 1 from public.chat_sessions s where s.id = p_session_id and s.user_id = v_user for update;
  if not found then
    raise exception 'chat: session % not found', p_session_id using errcode = 'PT404';
  end if;
  delete from public.chat_messages c where c.session_id = p_session_id and c.user_id = v_user;
  get diagnostics v_deleted = row_count;
  return v_deleted;
end $$;

create or replace function public.chat_delete_session(p_session_id uuid, p_user_id uuid default null)
returns boolean
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
begin
  delete from public.chat_sessions s where s.id = p_session_id and s.user_id = v_user;
  return found;
end $$;

-- Full-text search. The query is built from the words of p_query as the configuration parses them (each a quoted
-- lexeme, ':*' when followed by '*', all ANDed), so no input can be a tsquery syntax error.
create or replace function chat_private.chat_search_query(p_query text)
returns tsquery
language sql stable security invoker set search_path = ''
as $$
  with tokens as (
    select row_number() over () as n, d.token, d.lexemes
      from pg_catalog.ts_debug('public.chat_search'::regconfig, coalesce(p_query, '')) d
  ), terms as (
    select t.n, t.lexemes[1] as lexeme, coalesce(left(nxt.token, 1) = '*', false) as prefix
      from tokens t left join tokens nxt on nxt.n = t.n + 1
     where coalesce(cardinality(t.lexemes), 0) > 0 and t.lexemes[1] <> ''
  )
  -- NULL when the input has no word.
  select pg_catalog.to_tsquery('public.chat_search'::regconfig,
           string_agg(quote_literal(lexeme) || case when prefix then ':*' else '' end, ' & ' order by n))
    from terms;
$$;

create or replace function chat_private.chat_search(
  p_query text, p_limit int, p_offset int default 0, p_session_id uuid default null, p_user_id uuid default null)
returns table (id uuid, session_id uuid, seq bigint, role text, content text, metadata jsonb, created_at timestamptz,
               is_favorite boolean, workflow_id text, rank real, headline text,
               -- A message's status, reason, detail and lease (version 3, replies, fills them; null here: complete).
               status smallint, status_reason smallint, status_detail text, lease_expires_at timestamptz)
-- SECURITY DEFINER, the one exception, and therefore outside the exposed schema: under RLS the planner may not evaluate
-- the (non-leakproof) @@ operator before the policy, so a signed-in user's search would scan every message instead of
-- using the GIN index. The function applies the same rule itself: chat_caller() resolves the caller from the JWT claims
-- and the request's role with the same allowlist as the invoker functions, and every row is filtered by that user id.
-- anon has no EXECUTE on it; public.chat_search (SECURITY INVOKER) is the API.
language plpgsql stable security definer set search_path = ''
as $$
#variable_conflict use_column
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
  v_query tsquery := chat_private.chat_search_query(p_query);
begin
  perform chat_private.chat_check_limit(p_limit, 1000);
  if p_offset is null or p_offset < 0 then
    raise exception 'chat: p_offset must not be negative' using errcode = '22023';
  end if;
  if p_session_id is not null then
    perform chat_private.chat_require_session(p_session_id, v_user);
  end if;
  if v_query is null or pg_catalog.numnode(v_query) = 0 then
    return;
  end if;
  return query
    select h.id, h.session_id, h.seq, h.role, h.content, h.metadata, h.created_at, h.is_favorite, s.workflow_id, h.rank,
           pg_catalog.ts_headline('public.chat_search'::regconfig, h.content, v_query,
             'StartSel=' || chr(57344) || ', StopSel=' || chr(57345) || ', MaxWords=35, MinWords=15, ShortWord=0, MaxFragments=1, FragmentDelimiter=" … "'),
           null::smallint, null::smallint, null::text, null::timestamptz
      from (select c.*, pg_catalog.ts_rank(c.search, v_query) as rank
              from public.chat_messages c
             where c.search @@ v_query and c.user_id = v_user
               and (p_session_id is null or c.session_id = p_session_id)
             order by rank desc, c.seq desc
             limit p_limit offset p_offset) h
      join public.chat_sessions s on s.id = h.session_id
     order by h.rank desc, h.seq desc;
end $$;

-- The search API: SECURITY INVOKER, so no SECURITY DEFINER function is executable in the exposed schema (Supabase's
-- advisor lint authenticated_security_definer_function_executable); it calls the definer in chat_private.
create or replace function public.chat_search(
  p_query text, p_limit int, p_offset int default 0, p_session_id uuid default null, p_user_id uuid default null)
returns table (id uuid, session_id uuid, seq bigint, role text, content text, metadata jsonb, created_at timestamptz,
               is_favorite boolean, workflow_id text, rank real, headline text,
               -- A message's status, reason, detail and lease (version 3, replies, fills them; null here: complete).
               status smallint, status_reason smallint, status_detail text, lease_expires_at timestamptz)
language sql stable security invoker set search_path = ''
as $$
  select * from chat_private.chat_search(p_query, p_limit, p_offset, p_session_id, p_user_id);
$$;

create or replace function public.chat_set_favorite(p_message_id uuid, p_is_favorite boolean, p_user_id uuid default null)
returns table (id uuid, session_id uuid, seq bigint, role text, content text, metadata jsonb, created_at timestamptz, is_favorite boolean,
               status smallint, status_reason smallint, status_detail text, lease_expires_at timestamptz)
language plpgsql volatile security invoker set search_path = ''
as $$
#variable_conflict use_column
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
begin
  if p_is_favorite is null then
    raise exception 'chat: p_is_favorite is required' using errcode = '22023';
  end if;
  return query
    update public.chat_messages c set is_favorite = p_is_favorite
     where c.id = p_message_id and c.user_id = v_user
    returning c.id, c.session_id, c.seq, c.role, c.content, c.metadata, c.created_at, c.is_favorite,
              null::smallint, null::smallint, null::text, null::timestamptz;
  if not found then
    raise exception 'chat: message % not found', p_message_id using errcode = 'PT404';
  end if;
end $$;

create or replace function public.chat_list_favorites(
  p_limit int, p_before_seq bigint default null, p_session_id uuid default null, p_user_id uuid default null)
returns table (id uuid, session_id uuid, seq bigint, role text, content text, metadata jsonb, created_at timestamptz, is_favorite boolean,
               status smallint, status_reason smallint, status_detail text, lease_expires_at timestamptz)
language plpgsql stable security invoker set search_path = ''
as $$
#variable_conflict use_column
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
begin
  perform chat_private.chat_check_limit(p_limit, 1000);
  if p_session_id is not null then
    perform chat_private.chat_require_session(p_session_id, v_user);
  end if;
  return query
    select c.id, c.session_id, c.seq, c.role, c.content, c.metadata, c.created_at, c.is_favorite,
           null::smallint, null::smallint, null::text, null::timestamptz
      from public.chat_messages c
     where c.user_id = v_user and c.is_favorite
       and (p_session_id is null or c.session_id = p_session_id)
       and (p_before_seq is null or c.seq < p_before_seq)
     order by c.seq desc
     limit p_limit;
end $$;

-- Retention (trusted callers only): deletes up to p_max_sessions sessions idle since before p_idle_before, oldest first.
-- SKIP LOCKED lets several host instances run it at once without waiting on each other.
create or replace function public.chat_delete_idle_sessions(p_idle_before timestamptz, p_max_sessions int default 1000)
returns integer
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_deleted integer;
begin
  if auth.uid() is not null or not chat_private.chat_is_trusted() then
    raise exception 'chat: retention is reserved to the service role' using errcode = '42501';
  end if;
  if p_idle_before is null or p_max_sessions is null or p_max_sessions not between 1 and 10000 then
    raise exception 'chat: p_idle_before is required and p_max_sessions must be between 1 and 10000' using errcode = '22023';
  end if;
  -- active_on narrows the read to the days that qualify (index), updated_at decides; the order is oldest first.
  delete from public.chat_sessions s
   where s.id in (select i.id from public.chat_sessions i
                   where i.active_on <= (p_idle_before at time zone 'UTC')::date and i.updated_at < p_idle_before
                   order by i.active_on, i.updated_at, i.id
                   limit p_max_sessions
                   for update skip locked);
  get diagnostics v_deleted = row_count;
  return v_deleted;
end $$;

-- PostgreSQL grants EXECUTE to PUBLIC by default, Supabase to the API roles: take it back, then grant what each role may call.
revoke all on function
  chat_private.chat_is_trusted(), chat_private.chat_caller(uuid), chat_private.chat_check_text(text, text, int, boolean),
  chat_private.chat_check_limit(int, int), chat_private.chat_require_session(uuid, uuid), chat_private.chat_search_query(text),
  chat_private.chat_search(text, int, int, uuid, uuid), chat_private.chat_raise(text, text),
  public.chat_get_or_create_session(text, text, uuid), public.chat_get_session(uuid, uuid),
  public.chat_list_sessions(int, timestamptz, uuid, uuid), public.chat_rename_session(uuid, text, uuid),
  public.chat_append_messages(uuid, jsonb, uuid), public.chat_read_messages(uuid, int, boolean, bigint, uuid),
  public.chat_clear_session(uuid, uuid), public.chat_delete_session(uuid, uuid),
  public.chat_search(text, int, int, uuid, uuid), public.chat_set_favorite(uuid, boolean, uuid),
  public.chat_list_favorites(int, bigint, uuid, uuid), public.chat_delete_idle_sessions(timestamptz, int)
  from public, anon, authenticated, service_role;
grant execute on function
  chat_private.chat_is_trusted(), chat_private.chat_caller(uuid), chat_private.chat_check_text(text, text, int, boolean),
  chat_private.chat_check_limit(int, int), chat_private.chat_require_session(uuid, uuid), chat_private.chat_search_query(text),
  chat_private.chat_search(text, int, int, uuid, uuid), chat_private.chat_raise(text, text),
  public.chat_get_or_create_session(text, text, uuid), public.chat_get_session(uuid, uuid),
  public.chat_list_sessions(int, timestamptz, uuid, uuid), public.chat_rename_session(uuid, text, uuid),
  public.chat_append_messages(uuid, jsonb, uuid), public.chat_read_messages(uuid, int, boolean, bigint, uuid),
  public.chat_clear_session(uuid, uuid), public.chat_delete_session(uuid, uuid),
  public.chat_search(text, int, int, uuid, uuid), public.chat_set_favorite(uuid, boolean, uuid),
  public.chat_list_favorites(int, bigint, uuid, uuid)
  to authenticated, service_role;
grant execute on function public.chat_delete_idle_sessions(timestamptz, int) to service_role;

commit;
