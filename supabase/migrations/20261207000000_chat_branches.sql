-- ChatPersistence.Sdk — PostgreSQL / Supabase schema, version 4: the message tree (issue 27: edit and regenerate as
-- versions, the active path, switching between versions).
-- Idempotent: applying it again is a no-op. Runs as the database owner after the earlier migrations.
-- Design: docs/design/conversation-tree-and-live-replies.md §1 (runs), §3.1-§3.4 (semantics), §4.1 (storage), §6, §7.
--
-- No table rewrite, no scan, no index build on existing tables: every new column is nullable with no default (a catalog
-- change only); the only new indexes are on the new (empty) table chat_private.chat_runs. The only locks on existing
-- tables are the brief ACCESS EXCLUSIVE of ALTER TABLE / CREATE TRIGGER; lock_timeout makes the file fail rather than queue
-- behind a long transaction (run it again: it is idempotent).
--
-- The tree is stored as runs of consecutive sequence numbers (design §1): a message continues the run of its parent when
-- the parent is the session's newest message (every message of a chat that never branched), and starts a run otherwise.
-- chat_messages.parent_id: null = the previous message of the session by seq (none: a root); the nil uuid = a root;
--                           else the parent. Only a run's first message (a "run head") stores a parent.
-- chat_sessions.leaf_id/leaf_seq/active_run/path_version: all null while the session never branched (then the active path
--                           is the whole session and the leaf its newest message); a clear makes them null again.
-- chat_private.chat_runs:   one row per run of a session that branched (none for linear sessions): where it starts, its
--                           parent's seq, and its route above the head as two arrays (prefix_starts/prefix_ends: the run
--                           starts of the path above it and where the path leaves each), so that the path ending anywhere
--                           is a short list of (start, end) sequence ranges, ordered by seq. A page is one range scan of
--                           (session_id, seq) per range it touches; a deep page finds its range by binary search.
-- A switch finds "the leaf last active beneath the message" by walking runs from the most recently activated (an index on
-- (session_id, activated)) and checking each route, not with an index over the routes: a GIN index on prefix_starts made
-- every candidate's route be detoasted (33 ms on a nested chain of 1,000 branches; the walk: about 1 ms, design §4.1).
-- Runs live in chat_private (as the reply chunks): no API role writes them; the functions write them through SECURITY
-- DEFINER helpers that resolve the caller themselves; signed-in users may read their own (RLS) from the invoker functions.
-- A user cannot write parent_id (no column grant): a message inserted through the table API continues the active path,
-- placed by the insert trigger like an append without a parent.

begin;
set local lock_timeout = '5s';

alter table public.chat_messages add column if not exists parent_id uuid;

alter table public.chat_sessions
  add column if not exists active_run   bigint,
  add column if not exists leaf_id      uuid,
  add column if not exists leaf_seq     bigint,
  add column if not exists path_version bigint;

-- The order in which runs held the active leaf (a switch goes down to the leaf last active beneath the message).
create sequence if not exists chat_private.chat_activation_seq cache 1;
revoke all on sequence chat_private.chat_activation_seq from public, anon, authenticated, service_role;

create table if not exists chat_private.chat_runs (
  session_id    uuid     not null,
  user_id       uuid     not null,
  start_seq     bigint   not null,   -- the run head's seq; the run is [start_seq, the next run's start_seq) of the session
  head_id       uuid     not null,
  parent_seq    bigint,              -- the head's parent's seq; null for a root run
  parent_run    bigint,              -- the start of the run holding the head's parent (the route's last range); null for a root run
  prefix_starts bigint[] not null,   -- the route above the head: run starts, ascending …
  prefix_ends   bigint[] not null,   -- … and where the route leaves each of them (same length)
  activated     bigint   not null,   -- chat_activation_seq when it last took the active leaf
  constraint chat_runs_pkey primary key (session_id, start_seq),
  constraint chat_runs_session_fk foreign key (session_id, user_id)
    references public.chat_sessions (id, user_id) on delete cascade,
  constraint chat_runs_prefix_check check (pg_catalog.cardinality(prefix_starts) = pg_catalog.cardinality(prefix_ends))
) with (fillfactor = 90);
-- Development builds had no parent_run (the table is new in this version: no existing row lacks it).
alter table chat_private.chat_runs add column if not exists parent_run bigint;
-- Siblings (the runs under one parent) and the order in which runs were active (a switch).
create index if not exists chat_runs_parent_idx on chat_private.chat_runs (session_id, parent_seq);
create index if not exists chat_runs_activated_idx on chat_private.chat_runs (session_id, activated);
-- Development builds indexed the routes (GIN): a switch detoasted every candidate's route; it walks the activation order now.
drop index if exists chat_private.chat_runs_prefix_idx;

alter table chat_private.chat_runs enable row level security;
drop policy if exists chat_runs_select on chat_private.chat_runs;
create policy chat_runs_select on chat_private.chat_runs for select to authenticated using (user_id = (select auth.uid()));
revoke all on chat_private.chat_runs from public, anon, authenticated, service_role;
grant select on chat_private.chat_runs to authenticated, service_role;

-- The change feed: ActivePathChanged (kind 8) carries the last sequence shared by the old and the new path.
alter table chat_private.chat_changes add column if not exists fork_seq bigint;

-- ---------------------------------------------------------------------------------------------------------------
-- Helpers (read the caller's rows under RLS: SECURITY INVOKER)
-- ---------------------------------------------------------------------------------------------------------------

-- The run holding a message of a branched session: the run with the greatest start_seq <= p_seq (one probe).
create or replace function chat_private.chat_run_of(p_session_id uuid, p_seq bigint)
returns bigint
language sql stable security invoker set search_path = ''
as $$
  select r.start_seq from chat_private.chat_runs r
   where r.session_id = p_session_id and r.start_seq <= p_seq order by r.start_seq desc limit 1;
$$;

-- The route from the root to p_seq (which lies in the run starting at p_run): the run's prefix plus [p_run, p_seq].
create or replace function chat_private.chat_route(p_session_id uuid, p_run bigint, p_seq bigint,
                                                   out starts bigint[], out ends bigint[])
language sql stable security invoker set search_path = ''
as $$
  select r.prefix_starts || p_run, r.prefix_ends || p_seq
    from chat_private.chat_runs r where r.session_id = p_session_id and r.start_seq = p_run;
$$;

-- The last sequence two routes share (null: none).
create or replace function chat_private.chat_fork(a_starts bigint[], a_ends bigint[], b_starts bigint[], b_ends bigint[])
returns bigint
language plpgsql immutable security invoker set search_path = ''
as $$
declare
  v_fork bigint;
  i int := 1;
begin
  while i <= least(pg_catalog.cardinality(a_starts), pg_catalog.cardinality(b_starts)) and a_starts[i] = b_starts[i] loop
    v_fork := least(a_ends[i], b_ends[i]);
    exit when a_ends[i] <> b_ends[i];
    i := i + 1;
  end loop;
  return v_fork;
end $$;

-- Whether p_seq (in run p_run) lies on the route (starts, ends).
create or replace function chat_private.chat_on_route(p_run bigint, p_seq bigint, p_starts bigint[], p_ends bigint[])
returns boolean
language sql immutable security invoker set search_path = ''
as $$
  select coalesce(p_ends[pg_catalog.array_position(p_starts, p_run)] >= p_seq, false);
$$;

-- A message's parent: the one it stores (the nil uuid: none, a root), else the message before it (none: the first).
create or replace function chat_private.chat_parent_of(p_session_id uuid, p_seq bigint, p_parent_id uuid)
returns uuid
language sql stable security invoker set search_path = ''
as $$
  select case when p_parent_id is not null then nullif(p_parent_id, '00000000-0000-0000-0000-000000000000'::uuid)
              else (select c.id from public.chat_messages c where c.session_id = p_session_id and c.seq < p_seq
                     order by c.seq desc limit 1) end;
$$;

-- The place among its versions of a run head (or of a session's first message): its parent's children are the parent's
-- implicit child (its next message by seq, when that one stores no parent: always the oldest) and the heads of the runs
-- under it (roots: the root runs). 0-based index and count.
create or replace function chat_private.chat_head_pos(p_session_id uuid, p_seq bigint, p_parent_id uuid, out idx int, out cnt int)
language plpgsql stable security invoker set search_path = ''
as $$
declare
  v_parent bigint;
  v_next record;
begin
  if p_parent_id is null or p_parent_id = '00000000-0000-0000-0000-000000000000'::uuid then
    select (count(*) filter (where r.start_seq < p_seq))::int, count(*)::int into idx, cnt
      from chat_private.chat_runs r where r.session_id = p_session_id and r.parent_seq is null;
  else
    select r.parent_seq into v_parent from chat_private.chat_runs r where r.session_id = p_session_id and r.start_seq = p_seq;
    select (count(*) filter (where r.start_seq < p_seq))::int, count(*)::int into idx, cnt
      from chat_private.chat_runs r where r.session_id = p_session_id and r.parent_seq = v_parent;
    select c.seq, c.parent_id into v_next from public.chat_messages c
     where c.session_id = p_session_id and c.seq > v_parent order by c.seq limit 1;
    if v_next.seq is not null and v_next.parent_id is null then
      idx := idx + 1;
      cnt := cnt + 1;
    end if;
  end if;
  if cnt = 0 then
    idx := 0;
    cnt := 1;
  end if;
end $$;

-- A message's place among its parent's children, 0-based index and count (oldest first): the parent's implicit child
-- (its next message by seq, when that one stores no parent) and the heads of the runs under it (or the root runs).
create or replace function chat_private.chat_sibling_pos(p_session_id uuid, p_parent_seq bigint, p_seq bigint,
                                                         out idx int, out cnt int)
language plpgsql stable security invoker set search_path = ''
as $$
declare
  v_implicit bigint;
begin
  if p_parent_seq is null then
    select (count(*) filter (where r.start_seq < p_seq))::int, count(*)::int into idx, cnt
      from chat_private.chat_runs r where r.session_id = p_session_id and r.parent_seq is null;
  else
    select (count(*) filter (where r.start_seq < p_seq))::int, count(*)::int into idx, cnt
      from chat_private.chat_runs r where r.session_id = p_session_id and r.parent_seq = p_parent_seq;
    select c.seq into v_implicit from public.chat_messages c
     where c.session_id = p_session_id and c.seq > p_parent_seq and c.parent_id is null
       and c.seq = (select min(x.seq) from public.chat_messages x where x.session_id = p_session_id and x.seq > p_parent_seq);
    if v_implicit is not null then
      cnt := cnt + 1;
      if v_implicit < p_seq then idx := idx + 1; end if;
    end if;
  end if;
  if cnt = 0 then idx := 0; cnt := 1; end if;
end $$;

-- ---------------------------------------------------------------------------------------------------------------
-- Writers of the tree (SECURITY DEFINER: no user writes parent_id, the runs or the session's tree columns). Each resolves
-- the caller with chat_caller (the allowlist of the invoker functions) and touches only that user's rows; the caller holds
-- the session's row lock (every writer of one session is serialised by it, so "the newest message" is well defined).
-- ---------------------------------------------------------------------------------------------------------------

-- Starts a run at the message (p_seq, p_id) under the parent at p_parent_seq (null: a new root). On the session's first
-- branch the root run (the whole session so far) is recorded first.
create or replace function chat_private.chat_start_run(p_session_id uuid, p_user uuid, p_seq bigint, p_id uuid, p_parent_seq bigint)
returns void
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_run bigint;
  v_starts bigint[] := '{}';
  v_ends bigint[] := '{}';
begin
  if not exists (select from chat_private.chat_runs r where r.session_id = p_session_id) then
    insert into chat_private.chat_runs (session_id, user_id, start_seq, head_id, parent_seq, prefix_starts, prefix_ends, activated)
    select c.session_id, c.user_id, c.seq, c.id, null, '{}', '{}', pg_catalog.nextval('chat_private.chat_activation_seq')
      from public.chat_messages c where c.session_id = p_session_id and c.seq < p_seq order by c.seq limit 1;
  end if;
  if p_parent_seq is not null then
    v_run := chat_private.chat_run_of(p_session_id, p_parent_seq);
    select rt.starts, rt.ends into v_starts, v_ends from chat_private.chat_route(p_session_id, v_run, p_parent_seq) rt;
  end if;
  insert into chat_private.chat_runs (session_id, user_id, start_seq, head_id, parent_seq, parent_run, prefix_starts, prefix_ends, activated)
  values (p_session_id, p_user, p_seq, p_id, p_parent_seq, v_run, v_starts, v_ends, pg_catalog.nextval('chat_private.chat_activation_seq'));
end $$;

-- Moves the active leaf to (p_leaf_id, p_leaf_seq) after an append; p_changed: the path changed (not merely extended),
-- then the feed hears ActivePathChanged with the fork. Nothing when the session never branched.
create or replace function chat_private.chat_move_leaf(p_session_id uuid, p_leaf_id uuid, p_leaf_seq bigint,
                                                       p_old_run bigint, p_old_seq bigint, p_changed boolean)
returns void
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_run bigint := chat_private.chat_run_of(p_session_id, p_leaf_seq);
  v_old record;
  v_new record;
begin
  if v_run is null then
    return;
  end if;
  if v_run is distinct from p_old_run then
    update chat_private.chat_runs r set activated = pg_catalog.nextval('chat_private.chat_activation_seq')
     where r.session_id = p_session_id and r.start_seq = v_run
       and r.activated < (select max(x.activated) from chat_private.chat_runs x where x.session_id = p_session_id);
  end if;
  if p_changed then
    -- A session that branched in this call had no runs before: its old run is the root run, recorded meanwhile.
    select * into v_old from chat_private.chat_route(p_session_id, coalesce(p_old_run, chat_private.chat_run_of(p_session_id, p_old_seq)), p_old_seq);
    select * into v_new from chat_private.chat_route(p_session_id, v_run, p_leaf_seq);
    perform pg_catalog.set_config('chat.fork_seq', coalesce(chat_private.chat_fork(v_old.starts, v_old.ends, v_new.starts, v_new.ends)::text, ''), true);
  end if;
  update public.chat_sessions s
     set active_run = v_run, leaf_id = p_leaf_id, leaf_seq = p_leaf_seq,
         path_version = case when p_changed then coalesce(s.path_version, 0) + 1 else s.path_version end
   where s.id = p_session_id;
end $$;

-- Appends a batch along the tree (the caller, chat_append_messages or chat_begin_reply, holds the session's lock and has
-- checked the batch's shape): per element, its parent is the one it names (a message of this session and user, or an
-- earlier element; the nil uuid: a new root), else the previous element, else the active leaf. A stored id is a retry
-- (same role, content, metadata and, when named, parent) or PT409. p_lease_ms not null: the one element is a reply begun
-- (streaming, empty). Returns the rows in input order with their parents.
create or replace function chat_private.chat_append_tree(
  p_session_id uuid, p_messages jsonb, p_user_id uuid, p_max_versions int, p_lease_ms int default null)
returns table (id uuid, session_id uuid, seq bigint, role text, content text, metadata jsonb, created_at timestamptz,
               is_favorite boolean, parent_id uuid)
language plpgsql volatile security definer set search_path = '' set enable_seqscan = off
as $$
#variable_conflict use_column
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
  v_nil constant uuid := '00000000-0000-0000-0000-000000000000';
  v_session record;
  v_old_run bigint;
  v_old_seq bigint;
  v_expect uuid;          -- the parent an element has when it names none
  v_expect_seq bigint;
  v_newest bigint;        -- the session's newest seq
  v_changed boolean := false;
  v_inserted boolean := false;
  v_last_id uuid;
  v_last_seq bigint;
  v_el record;
  v_named uuid;
  v_pid uuid;             -- the resolved parent (null: a root)
  v_pseq bigint;
  v_stored public.chat_messages;
  v_row public.chat_messages;
  v_children int;
begin
  select s.active_run, s.leaf_id, s.leaf_seq into v_session from public.chat_sessions s
   where s.id = p_session_id and s.user_id = v_user for update;
  if not found then
    raise exception 'chat: session % not found', p_session_id using errcode = 'PT404';
  end if;
  perform pg_catalog.set_config('chat.locked_session', p_session_id::text, true);
  select c.id, c.seq into v_expect, v_newest from public.chat_messages c
   where c.session_id = p_session_id order by c.seq desc limit 1;
  if v_session.leaf_id is not null then
    v_expect := v_session.leaf_id;
    v_expect_seq := v_session.leaf_seq;
    v_old_run := v_session.active_run;
  else
    v_expect_seq := v_newest;
    v_old_run := chat_private.chat_run_of(p_session_id, v_newest);
  end if;
  v_old_seq := v_expect_seq;
  if (select count(distinct e.id) from pg_catalog.jsonb_to_recordset(p_messages) as e(id uuid)) <> pg_catalog.jsonb_array_length(p_messages) then
    raise exception 'chat: message ids in one batch must be distinct' using errcode = '22023';
  end if;
  for v_el in
    select e.id, e.role, e.content, coalesce(e.metadata, '{}'::jsonb) as metadata, e.created_at, e.parent_id, e.ord
      from rows from (pg_catalog.jsonb_to_recordset(p_messages)
                        as (id uuid, role text, content text, metadata jsonb, created_at timestamptz, parent_id uuid))
           with ordinality as e(id, role, content, metadata, created_at, parent_id, ord)
     order by e.ord
  loop
    v_named := v_el.parent_id;
    if v_named is not null and v_named <> v_nil then
      if v_named = v_el.id or exists (select from rows from (pg_catalog.jsonb_to_recordset(p_messages) as (id uuid)) with ordinality as l(id, ord)
                                       where l.id = v_named and l.ord > v_el.ord) then
        raise exception 'chat: message % names itself or a later message of the batch as its parent (a cycle)', v_el.id using errcode = '22023';
      end if;
    end if;
    select * into v_stored from public.chat_messages c where c.id = v_el.id;
    if found then
      -- A retry of a stored message (never another user's or session's).
      if v_stored.user_id <> v_user or v_stored.session_id <> p_session_id or v_stored.role <> v_el.role
         or (p_lease_ms is null and (v_stored.content <> v_el.content or v_stored.metadata <> v_el.metadata))
         or (p_lease_ms is not null and v_stored.role <> 'assistant') then
        raise exception 'chat: message % is already stored with different data', v_el.id using errcode = 'PT409';
      end if;
      v_pid := chat_private.chat_parent_of(p_session_id, v_stored.seq, v_stored.parent_id);
      if v_named is not null and v_pid is distinct from nullif(v_named, v_nil) then
        raise exception 'chat: message % is already stored with different data', v_el.id using errcode = 'PT409';
      end if;
      return query select v_stored.id, v_stored.session_id, v_stored.seq, v_stored.role, v_stored.content, v_stored.metadata,
                          v_stored.created_at, v_stored.is_favorite, v_pid;
      v_expect := v_stored.id;
      v_expect_seq := v_stored.seq;
      continue;
    end if;
    -- The parent.
    if v_named is null then
      v_pid := v_expect;
      v_pseq := v_expect_seq;
    elsif v_named = v_nil then
      v_pid := null;
      v_pseq := null;
    else
      select c.id, c.seq into v_pid, v_pseq from public.chat_messages c
       where c.id = v_named and c.session_id = p_session_id and c.user_id = v_user;
      if not found then
        raise exception 'chat: message % not found', v_named using errcode = 'PT404';
      end if;
    end if;
    if v_pid is distinct from v_expect then
      v_changed := true;
    end if;
    if v_newest is null or (v_pid is not null and v_pseq = v_newest) then
      -- Continues its parent's run (the parent is the newest message), or the session's first message.
      if p_lease_ms is null then
        insert into public.chat_messages as t (id, session_id, user_id, role, content, metadata, created_at)
        values (v_el.id, p_session_id, v_user, v_el.role, v_el.content, v_el.metadata, coalesce(v_el.created_at, pg_catalog.now()))
        returning * into v_row;
      else
        insert into public.chat_messages as t (id, session_id, user_id, role, content, metadata, created_at, status, lease_ms, touched_at)
        values (v_el.id, p_session_id, v_user, 'assistant', '', v_el.metadata, pg_catalog.now(), 1, p_lease_ms, pg_catalog.now())
        returning * into v_row;
      end if;
    else
      -- Starts a run: a version of an earlier message, a new root, a continuation of an older branch.
      if v_pid is null then
        select count(*) into v_children from chat_private.chat_runs r where r.session_id = p_session_id and r.parent_seq is null;
        v_children := greatest(v_children, 1);
      else
        select count(*) + (select count(*) from public.chat_messages c
                            where c.session_id = p_session_id and c.parent_id is null
                              and c.seq = (select min(x.seq) from public.chat_messages x where x.session_id = p_session_id and x.seq > v_pseq))
          into v_children from chat_private.chat_runs r where r.session_id = p_session_id and r.parent_seq = v_pseq;
      end if;
      if v_children >= p_max_versions then
        raise exception 'chat: message % already has % versions (the limit)', coalesce(v_pid::text, 'root'), v_children using errcode = 'PT409';
      end if;
      if p_lease_ms is null then
        insert into public.chat_messages as t (id, session_id, user_id, role, content, metadata, created_at, parent_id)
        values (v_el.id, p_session_id, v_user, v_el.role, v_el.content, v_el.metadata, coalesce(v_el.created_at, pg_catalog.now()),
                coalesce(v_pid, v_nil))
        returning * into v_row;
      else
        insert into public.chat_messages as t (id, session_id, user_id, role, content, metadata, created_at, status, lease_ms, touched_at, parent_id)
        values (v_el.id, p_session_id, v_user, 'assistant', '', v_el.metadata, pg_catalog.now(), 1, p_lease_ms, pg_catalog.now(),
                coalesce(v_pid, v_nil))
        returning * into v_row;
      end if;
      perform chat_private.chat_start_run(p_session_id, v_user, v_row.seq, v_row.id, v_pseq);
    end if;
    return query select v_row.id, v_row.session_id, v_row.seq, v_row.role, v_row.content, v_row.metadata, v_row.created_at,
                        v_row.is_favorite, v_pid;
    v_inserted := true;
    v_newest := v_row.seq;
    v_expect := v_row.id;
    v_expect_seq := v_row.seq;
    v_last_id := v_row.id;
    v_last_seq := v_row.seq;
  end loop;
  if v_inserted then
    perform chat_private.chat_move_leaf(p_session_id, v_last_id, v_last_seq, v_old_run, v_old_seq, v_changed and v_old_seq is not null);
  end if;
end $$;

-- A message inserted through the table API (or SQL) into a session that has branched: it continues the active path, as an
-- append without a parent does (the caller's before-insert trigger holds the session's lock). Returns the parent to
-- store (null: it continues the newest message's run). Does nothing for another user's session (the insert fails anyway).
create or replace function chat_private.chat_place_direct(p_session_id uuid, p_user uuid, p_id uuid, p_seq bigint)
returns uuid
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_session record;
  v_newest bigint;
  v_uid uuid := auth.uid();
begin
  select s.user_id, s.active_run, s.leaf_id, s.leaf_seq into v_session from public.chat_sessions s where s.id = p_session_id;
  if not found or v_session.leaf_id is null or v_session.user_id <> coalesce(v_uid, p_user) then
    return null;
  end if;
  select max(c.seq) into v_newest from public.chat_messages c where c.session_id = p_session_id;
  if v_newest = v_session.leaf_seq then
    update public.chat_sessions s set leaf_id = p_id, leaf_seq = p_seq where s.id = p_session_id;
    return null;
  end if;
  perform chat_private.chat_start_run(p_session_id, v_session.user_id, p_seq, p_id, v_session.leaf_seq);
  update public.chat_sessions s set active_run = p_seq, leaf_id = p_id, leaf_seq = p_seq where s.id = p_session_id;
  return v_session.leaf_id;
end $$;

-- The before-insert trigger of messages written outside the functions (version 1's, plus the tree's placement).
create or replace function chat_private.chat_message_inserting()
returns trigger
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_leaf uuid;
begin
  select s.leaf_id into v_leaf from public.chat_sessions s where s.id = new.session_id for no key update;
  if v_leaf is not null then
    new.parent_id := chat_private.chat_place_direct(new.session_id, new.user_id, new.id, new.seq);
  elsif new.parent_id is not null then
    -- Only the functions store parents (a trusted role's direct insert may name the column): a linear session stays linear.
    new.parent_id := null;
  end if;
  return new;
end $$;

-- Switches the active path through a message, down to the leaf last active beneath it (design §3.4).
create or replace function chat_private.chat_switch(p_session_id uuid, p_message_id uuid, p_user_id uuid)
returns table (leaf_id uuid, leaf_seq bigint, fork_seq bigint, changed boolean)
language plpgsql volatile security definer set search_path = ''
as $$
#variable_conflict use_column
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
  v_session record;
  v_seq bigint;
  v_run bigint;
  v_active record;
  v_win bigint;
  v_end bigint;
  v_leaf uuid;
  v_leaf_seq bigint;
  v_new record;
  v_fork bigint;
  v_act bigint;
begin
  select s.active_run, s.leaf_id, s.leaf_seq into v_session from public.chat_sessions s
   where s.id = p_session_id and s.user_id = v_user for update;
  if not found then
    raise exception 'chat: session % not found', p_session_id using errcode = 'PT404';
  end if;
  select c.seq into v_seq from public.chat_messages c where c.id = p_message_id and c.session_id = p_session_id and c.user_id = v_user;
  if not found then
    raise exception 'chat: message % not found', p_message_id using errcode = 'PT404';
  end if;
  if v_session.leaf_id is null then
    -- Never branched: every message is on the one path.
    return query select c.id, c.seq, c.seq, false from public.chat_messages c
                  where c.session_id = p_session_id order by c.seq desc limit 1;
    return;
  end if;
  v_run := chat_private.chat_run_of(p_session_id, v_seq);
  select * into v_active from chat_private.chat_route(p_session_id, v_session.active_run, v_session.leaf_seq);
  if chat_private.chat_on_route(v_run, v_seq, v_active.starts, v_active.ends) then
    return query select v_session.leaf_id, v_session.leaf_seq, v_session.leaf_seq, false;
    return;
  end if;
  -- The runs beneath the message: its own run and those whose route leaves its run at or below it; the last active wins.
  -- Walked from the most recently activated down to the message's own run's activation (which wins if none beneath does),
  -- so only the runs activated since then are looked at, each with one look-up in its route (usually the first wins).
  select r.activated into v_act from chat_private.chat_runs r where r.session_id = p_session_id and r.start_seq = v_run;
  select r.start_seq into v_win from chat_private.chat_runs r
   where r.session_id = p_session_id and r.activated > v_act and r.start_seq > v_seq
     and r.prefix_ends[pg_catalog.array_position(r.prefix_starts, v_run)] >= v_seq
   order by r.activated desc limit 1;
  v_win := coalesce(v_win, v_run);
  select min(r.start_seq) into v_end from chat_private.chat_runs r where r.session_id = p_session_id and r.start_seq > v_win;
  select c.id, c.seq into v_leaf, v_leaf_seq from public.chat_messages c
   where c.session_id = p_session_id and c.seq >= v_win and c.seq < coalesce(v_end, 9223372036854775807)
   order by c.seq desc limit 1;
  select * into v_new from chat_private.chat_route(p_session_id, v_win, v_leaf_seq);
  v_fork := chat_private.chat_fork(v_active.starts, v_active.ends, v_new.starts, v_new.ends);
  update chat_private.chat_runs r set activated = pg_catalog.nextval('chat_private.chat_activation_seq')
   where r.session_id = p_session_id and r.start_seq = v_win;
  perform pg_catalog.set_config('chat.fork_seq', coalesce(v_fork::text, ''), true);
  update public.chat_sessions s
     set active_run = v_win, leaf_id = v_leaf, leaf_seq = v_leaf_seq, path_version = coalesce(s.path_version, 0) + 1
   where s.id = p_session_id;
  return query select v_leaf, v_leaf_seq, v_fork, true;
end $$;

-- Clear (and a direct delete that empties a session): the session is linear again.
create or replace function chat_private.chat_messages_deleted()
returns trigger
language plpgsql volatile security definer set search_path = ''
as $$
begin
  update public.chat_sessions s
     set updated_at = greatest(pg_catalog.now(), s.updated_at + interval '1 microsecond'),
         message_count = greatest(s.message_count - d.removed, 0),
         last_message_at = (select c.created_at from public.chat_messages c where c.session_id = s.id order by c.seq desc limit 1),
         active_run = case when s.message_count - d.removed > 0 then s.active_run end,
         leaf_id = case when s.message_count - d.removed > 0 then s.leaf_id end,
         leaf_seq = case when s.message_count - d.removed > 0 then s.leaf_seq end,
         path_version = case when s.message_count - d.removed > 0 then s.path_version end
    from (select o.session_id, count(*) as removed from deleted o group by o.session_id) d
   where s.id = d.session_id;
  delete from chat_private.chat_runs r
   using (select o.session_id, count(*) as removed from deleted o group by o.session_id) d
   where r.session_id = d.session_id
     and not exists (select from public.chat_messages c where c.session_id = d.session_id);
  return null;
end $$;

revoke all on function
  chat_private.chat_start_run(uuid, uuid, bigint, uuid, bigint),
  chat_private.chat_move_leaf(uuid, uuid, bigint, bigint, bigint, boolean),
  chat_private.chat_place_direct(uuid, uuid, uuid, bigint),
  chat_private.chat_message_inserting(), chat_private.chat_messages_deleted()
  from public, anon, authenticated, service_role;
-- The before-insert trigger (SECURITY INVOKER) places a direct insert through it.
grant execute on function chat_private.chat_place_direct(uuid, uuid, uuid, bigint) to authenticated, service_role;

-- ---------------------------------------------------------------------------------------------------------------
-- The public functions. Return types change (a parent per message), so their signatures change too, as version 3 did for
-- chat_read_messages: re-applying an earlier file recreates the previous signature, and this file drops it again, so a
-- call naming the earlier arguments is never ambiguous over PostgREST.
-- ---------------------------------------------------------------------------------------------------------------

-- Appends 1 to 100 messages (version 1's contract), each element may name `parent_id` (a message of this session, an
-- earlier element, or the nil uuid for a new root); p_max_versions caps the children of one parent (PT409). A session
-- that never branched and a batch that names no parent: version 1's statement, unchanged.
drop function if exists public.chat_append_messages(uuid, jsonb, uuid);
create or replace function public.chat_append_messages(
  p_session_id uuid, p_messages jsonb, p_user_id uuid default null, p_max_versions int default 1000)
returns table (id uuid, session_id uuid, seq bigint, role text, content text, metadata jsonb, created_at timestamptz,
               is_favorite boolean, parent_id uuid)
language plpgsql volatile security invoker set search_path = '' set enable_seqscan = off
as $$
#variable_conflict use_column
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
  v_count int;
  v_inserted bigint;
  v_conflict uuid;
  v_leaf uuid;
begin
  if pg_catalog.jsonb_typeof(p_messages) is distinct from 'array' then
    raise exception 'chat: p_messages must be a JSON array of 1 to 100 messages' using errcode = '22023';
  end if;
  v_count := pg_catalog.jsonb_array_length(p_messages);
  if v_count not between 1 and 100 then
    raise exception 'chat: p_messages must be a JSON array of 1 to 100 messages' using errcode = '22023';
  end if;
  if p_max_versions is null or p_max_versions not between 2 and 100000 then
    raise exception 'chat: p_max_versions must be between 2 and 100000' using errcode = '22023';
  end if;
  select s.leaf_id into v_leaf from public.chat_sessions s where s.id = p_session_id and s.user_id = v_user for update;
  if not found then
    raise exception 'chat: session % not found', p_session_id using errcode = 'PT404';
  end if;
  if v_leaf is not null or pg_catalog.jsonb_path_exists(p_messages, '$[*] ? (exists (@.parent_id))') then
    return query select * from chat_private.chat_append_tree(p_session_id, p_messages, p_user_id, p_max_versions);
    return;
  end if;
  perform pg_catalog.set_config('chat.locked_session', p_session_id::text, true);
  if not exists (select from public.chat_messages c
                  where c.id in (select e.id from pg_catalog.jsonb_to_recordset(p_messages) as e(id uuid))) then
    return query
      with i as (
        insert into public.chat_messages as t (id, session_id, user_id, role, content, metadata, created_at)
        select e.id, p_session_id, v_user, e.role, e.content, coalesce(e.metadata, '{}'::jsonb), coalesce(e.created_at, pg_catalog.now())
          from rows from (pg_catalog.jsonb_to_recordset(p_messages)
                            as (id uuid, role text, content text, metadata jsonb, created_at timestamptz))
               with ordinality as e(id, role, content, metadata, created_at, ord)
         order by e.ord
        on conflict on constraint chat_messages_pkey do nothing
        returning t.id, t.session_id, t.seq, t.role, t.content, t.metadata, t.created_at, t.is_favorite)
      select i.id, i.session_id, i.seq, i.role, i.content, i.metadata, i.created_at, i.is_favorite,
             -- The parent of a message that continues the session: the one before it (the previous element, or the
             -- session's newest before the call: one probe, for the first element only).
             coalesce(pg_catalog.lag(i.id) over (order by i.seq),
                      (select c.id from public.chat_messages c where c.session_id = p_session_id and c.seq < i.seq
                        order by c.seq desc limit 1))
        from i
       order by i.seq;
    get diagnostics v_inserted = row_count;
    if v_inserted < v_count then
      if (select count(distinct e.id) from pg_catalog.jsonb_to_recordset(p_messages) as e(id uuid)) <> v_count then
        raise exception 'chat: message ids in one batch must be distinct' using errcode = '22023';
      end if;
      select e.id into v_conflict from pg_catalog.jsonb_to_recordset(p_messages) as e(id uuid)
       where not exists (select from public.chat_messages c where c.id = e.id and c.session_id = p_session_id) limit 1;
      raise exception 'chat: message % is already stored with different data', v_conflict using errcode = 'PT409';
    end if;
    return;
  end if;
  -- A retry (some ids stored): through the tree's path, which compares each stored message.
  return query select * from chat_private.chat_append_tree(p_session_id, p_messages, p_user_id, p_max_versions);
end $$;

-- One keyset page along a path (design §4.1, §4.4). p_leaf_id: the path ending at that message (else the active path);
-- p_all_branches: every message of the session in seq order. The session is read first (its tree columns); a session that
-- never branched is one range. A path is a list of seq ranges, ordered by seq; each range touched is one range scan of
-- (session_id, seq) with the rows still wanted. Each row carries its parent and, when it has other versions, its place
-- among them (sibling_index 0-based, sibling_count; 0/1 otherwise). p_siblings = false skips those (0/1 everywhere).
drop function if exists public.chat_read_messages(uuid, int, boolean, bigint, uuid, uuid, boolean);
create or replace function public.chat_read_messages(
  p_session_id uuid, p_limit int, p_older boolean default true, p_boundary bigint default null, p_user_id uuid default null,
  p_leaf_id uuid default null, p_all_branches boolean default false, p_siblings boolean default true)
returns table (id uuid, session_id uuid, seq bigint, role text, content text, metadata jsonb, created_at timestamptz,
               is_favorite boolean, beyond boolean, status smallint, status_reason smallint, status_detail text,
               lease_expires_at timestamptz, parent_id uuid, sibling_index int, sibling_count int)
language plpgsql stable security invoker set search_path = '' set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
  v_older boolean := coalesce(p_older, false);
  v_session record;
  v_branched boolean;
  v_end_run bigint;
  v_end_seq bigint;
  v_starts bigint[];
  v_ends bigint[];
  v_prefix boolean := false;
  v_n int;
  v_i int;
  v_lo int;
  v_hi int;
  v_mid int;
  v_from bigint;
  v_to bigint;
  v_rem int := p_limit;
  v_got int;
  v_beyond boolean;
  v_bp bigint[];
  v_sib boolean;
  v_all boolean := false;   -- one range over every branch: several run heads per range
  v_head_seq bigint;        -- the range's run head, when it is read on this page (path reads)
  v_head_idx int;
  v_head_cnt int;
  v_hp bigint;
  v_hops int := 0;
begin
  perform chat_private.chat_check_limit(p_limit, 1000);
  if p_leaf_id is not null and coalesce(p_all_branches, false) then
    raise exception 'chat: p_leaf_id and p_all_branches exclude each other' using errcode = '22023';
  end if;
  if p_leaf_id is null then
    -- A session that never branched (every session before version 4, every host that never branches): version 3's page,
    -- each row's parent being the message before it — the next row of the page (lead/lag over the scan's own order: no
    -- sort) and one probe for the last row only. One version each.
    if v_older then
      return query
        select x.id, x.session_id, x.seq, x.role,
               case when x.lease_ms is null then x.content else r.content end, x.metadata, x.created_at, x.is_favorite,
               p_boundary is not null and coalesce((select max(m.seq) from public.chat_messages m where m.session_id = p_session_id) >= p_boundary, false),
               case when x.lease_ms is null then x.status else r.status end,
               case when x.lease_ms is null then x.status_reason else r.status_reason end,
               case when x.lease_ms is null then x.status_detail else r.status_detail end,
               case when x.lease_ms is null then null::timestamptz else r.lease_expires_at end,
               coalesce(x.prev, (select p.id from public.chat_messages p where p.session_id = p_session_id and p.seq < x.seq
                                  order by p.seq desc limit 1)),
               0, 1
          from (select c.*, pg_catalog.lead(c.id) over (order by c.seq desc) as prev
                  from (select c.* from public.chat_messages c
                         where c.session_id = p_session_id and c.seq < coalesce(p_boundary, 9223372036854775807)
                           and exists (select from public.chat_sessions s where s.id = p_session_id and s.user_id = v_user and s.leaf_id is null)
                         order by c.seq desc limit p_limit) c) x
          left join lateral (select * from chat_private.chat_message_now(x.id, x.user_id) n where x.lease_ms is not null offset 0) r on true;
    else
      return query
        select x.id, x.session_id, x.seq, x.role,
               case when x.lease_ms is null then x.content else r.content end, x.metadata, x.created_at, x.is_favorite,
               p_boundary is not null and coalesce((select min(m.seq) from public.chat_messages m where m.session_id = p_session_id) <= p_boundary, false),
               case when x.lease_ms is null then x.status else r.status end,
               case when x.lease_ms is null then x.status_reason else r.status_reason end,
               case when x.lease_ms is null then x.status_detail else r.status_detail end,
               case when x.lease_ms is null then null::timestamptz else r.lease_expires_at end,
               coalesce(x.prev, (select p.id from public.chat_messages p where p.session_id = p_session_id and p.seq < x.seq
                                  order by p.seq desc limit 1)),
               0, 1
          from (select c.*, pg_catalog.lag(c.id) over (order by c.seq) as prev
                  from (select c.* from public.chat_messages c
                         where c.session_id = p_session_id and c.seq > coalesce(p_boundary, '-9223372036854775808'::bigint)
                           and exists (select from public.chat_sessions s where s.id = p_session_id and s.user_id = v_user and s.leaf_id is null)
                         order by c.seq limit p_limit) c) x
          left join lateral (select * from chat_private.chat_message_now(x.id, x.user_id) n where x.lease_ms is not null offset 0) r on true;
    end if;
    if found then
      return;
    end if;
  end if;
  -- The session (its tree columns): a session that never branched and had nothing on this side; or a path to read.
  select s.active_run, s.leaf_id, s.leaf_seq into v_session from public.chat_sessions s
   where s.id = p_session_id and s.user_id = v_user;
  if not found then
    raise exception 'chat: session % not found', p_session_id using errcode = 'PT404';
  end if;
  v_branched := v_session.leaf_id is not null;
  v_sib := v_branched and coalesce(p_siblings, true);
  if not v_branched and p_leaf_id is null then
    return query
      select null::uuid, null::uuid, null::bigint, null::text, null::text, null::jsonb, null::timestamptz, null::boolean,
             p_boundary is not null and coalesce(case when v_older
                                                    then (select max(m.seq) from public.chat_messages m where m.session_id = p_session_id) >= p_boundary
                                                    else (select min(m.seq) from public.chat_messages m where m.session_id = p_session_id) <= p_boundary end, false),
             null::smallint, null::smallint, null::text, null::timestamptz, null::uuid, null::int, null::int;
    return;
  end if;
  if p_leaf_id is not null then
    select c.seq into v_end_seq from public.chat_messages c where c.id = p_leaf_id and c.session_id = p_session_id and c.user_id = v_user;
    if not found then
      raise exception 'chat: message % not found', p_leaf_id using errcode = 'PT404';
    end if;
    if v_branched then
      v_end_run := chat_private.chat_run_of(p_session_id, v_end_seq);
    end if;
  elsif v_branched and not coalesce(p_all_branches, false) then
    v_end_run := v_session.active_run;
    v_end_seq := v_session.leaf_seq;
  end if;
  if v_end_run is null then
    -- One range: the whole session (all branches; or, for p_leaf_id in a session that never branched, up to that message).
    v_all := v_branched;
    v_starts := array['-9223372036854775808'::bigint];
    v_ends := array[coalesce(v_end_seq, 9223372036854775807)];
    v_prefix := true;
    v_beyond := p_boundary is not null and coalesce(case when v_older
      then coalesce(v_end_seq, (select max(x.seq) from public.chat_messages x where x.session_id = p_session_id)) >= p_boundary
      else (select min(x.seq) from public.chat_messages x where x.session_id = p_session_id) <= p_boundary end, false);
  else
    -- The path's last range, [end run, end seq]; the earlier ones (the run's prefix) are read only when needed.
    v_starts := array[v_end_run];
    v_ends := array[v_end_seq];
    v_beyond := p_boundary is not null and v_end_seq >= p_boundary;
    if not v_older then
      -- Towards newer messages the ranges are read from the path's first: the whole route.
      select r.prefix_starts || v_end_run, r.prefix_ends || v_end_seq into v_starts, v_ends
        from chat_private.chat_runs r where r.session_id = p_session_id and r.start_seq = v_end_run;
      v_prefix := true;
      v_beyond := p_boundary is not null and v_starts[1] <= p_boundary;
    end if;
  end if;
  v_beyond := coalesce(v_beyond, false);
  <<pieces>>
  loop
    v_n := pg_catalog.cardinality(v_starts);
    -- The range holding the position next to the boundary: a binary search (ranges are ordered by seq).
    if p_boundary is null then
      v_i := case when v_older then v_n else 1 end;
    elsif v_older then
      v_lo := 0; v_hi := v_n;                       -- the last range starting below the boundary
      while v_lo < v_hi loop
        v_mid := (v_lo + v_hi + 1) / 2;
        if v_starts[v_mid] < p_boundary then v_lo := v_mid; else v_hi := v_mid - 1; end if;
      end loop;
      v_i := v_lo;
    else
      v_lo := 1; v_hi := v_n + 1;                   -- the first range ending above the boundary
      while v_lo < v_hi loop
        v_mid := (v_lo + v_hi) / 2;
        if v_ends[v_mid] > p_boundary then v_hi := v_mid; else v_lo := v_mid + 1; end if;
      end loop;
      v_i := v_lo;
    end if;
    while v_rem > 0 and v_i between 1 and v_n loop
      v_from := case when not v_older and p_boundary is not null then greatest(v_starts[v_i], p_boundary + 1) else v_starts[v_i] end;
      v_to := case when v_older and p_boundary is not null then least(v_ends[v_i], p_boundary - 1) else v_ends[v_i] end;
      if v_from <= v_to then
        v_head_seq := null;
        if v_sib then
          -- The parents (seq) in this range that have runs under them (with repeats: one per run): a message that continues
          -- its parent's run is its first version, and has 1 + that many.
          select pg_catalog.array_agg(r.parent_seq) into v_bp from chat_private.chat_runs r
           where r.session_id = p_session_id and r.parent_seq >= v_starts[v_i] and r.parent_seq <= v_to;
          if not v_all and v_from = v_starts[v_i] then
            -- The range's run head is on the page: its versions are its parent's implicit child (the parent's next message,
            -- when that one stores no parent: the oldest) and the heads of the runs under the parent (or the root runs).
            v_head_seq := v_starts[v_i];
            select r.parent_seq into v_hp from chat_private.chat_runs r where r.session_id = p_session_id and r.start_seq = v_head_seq;
            if v_hp is null then
              select (count(*) filter (where r.start_seq < v_head_seq))::int, count(*)::int into v_head_idx, v_head_cnt
                from chat_private.chat_runs r where r.session_id = p_session_id and r.parent_seq is null;
            else
              select (count(*) filter (where r.start_seq < v_head_seq))::int, count(*)::int into v_head_idx, v_head_cnt
                from chat_private.chat_runs r where r.session_id = p_session_id and r.parent_seq = v_hp;
              if exists (select from public.chat_messages c
                          where c.session_id = p_session_id and c.parent_id is null
                            and c.seq = (select min(m.seq) from public.chat_messages m where m.session_id = p_session_id and m.seq > v_hp)) then
                v_head_idx := v_head_idx + 1;
                v_head_cnt := v_head_cnt + 1;
              end if;
            end if;
            if v_head_cnt = 0 then
              v_head_idx := 0;
              v_head_cnt := 1;
            end if;
          end if;
        end if;
        if v_older then
          return query
            select x.id, x.session_id, x.seq, x.role,
                   case when x.lease_ms is null then x.content else r.content end, x.metadata, x.created_at, x.is_favorite, v_beyond,
                   case when x.lease_ms is null then x.status else r.status end,
                   case when x.lease_ms is null then x.status_reason else r.status_reason end,
                   case when x.lease_ms is null then x.status_detail else r.status_detail end,
                   case when x.lease_ms is null then null::timestamptz else r.lease_expires_at end,
                   case when x.parent_id is not null then nullif(x.parent_id, '00000000-0000-0000-0000-000000000000'::uuid) else x.prev_id end,
                   case when x.seq = v_head_seq then v_head_idx else coalesce(hp.idx, 0) end,
                   case when x.seq = v_head_seq then v_head_cnt
                        when hp.cnt is not null then hp.cnt
                        when v_sib and x.prev_seq is not null
                          then 1 + coalesce(pg_catalog.array_length(pg_catalog.array_positions(v_bp, x.prev_seq), 1), 0)
                        else 1 end
              from (select w.*,
                           coalesce(pg_catalog.lead(w.id) over (order by w.seq desc),
                                    case when w.parent_id is null then (select p.id from public.chat_messages p where p.session_id = p_session_id
                                                                          and p.seq < w.seq order by p.seq desc limit 1) end) as prev_id,
                           coalesce(pg_catalog.lead(w.seq) over (order by w.seq desc),
                                    case when w.parent_id is null then (select p.seq from public.chat_messages p where p.session_id = p_session_id
                                                                          and p.seq < w.seq order by p.seq desc limit 1) end) as prev_seq
                      from (select c.* from public.chat_messages c
                             where c.session_id = p_session_id and c.seq between v_from and v_to
                             order by c.seq desc
                             limit v_rem) w) x
              left join lateral (select * from chat_private.chat_message_now(x.id, x.user_id) n where x.lease_ms is not null offset 0) r on true
              -- A run head (or the session's first message): its place among the versions, a few probes (once per range).
              left join lateral (select * from chat_private.chat_head_pos(p_session_id, x.seq, x.parent_id) h
                                  where v_all and v_sib and (x.parent_id is not null or x.prev_seq is null) offset 0) hp on true;
        else
          return query
            select x.id, x.session_id, x.seq, x.role,
                   case when x.lease_ms is null then x.content else r.content end, x.metadata, x.created_at, x.is_favorite, v_beyond,
                   case when x.lease_ms is null then x.status else r.status end,
                   case when x.lease_ms is null then x.status_reason else r.status_reason end,
                   case when x.lease_ms is null then x.status_detail else r.status_detail end,
                   case when x.lease_ms is null then null::timestamptz else r.lease_expires_at end,
                   case when x.parent_id is not null then nullif(x.parent_id, '00000000-0000-0000-0000-000000000000'::uuid) else x.prev_id end,
                   case when x.seq = v_head_seq then v_head_idx else coalesce(hp.idx, 0) end,
                   case when x.seq = v_head_seq then v_head_cnt
                        when hp.cnt is not null then hp.cnt
                        when v_sib and x.prev_seq is not null
                          then 1 + coalesce(pg_catalog.array_length(pg_catalog.array_positions(v_bp, x.prev_seq), 1), 0)
                        else 1 end
              from (select w.*,
                           coalesce(pg_catalog.lag(w.id) over (order by w.seq),
                                    case when w.parent_id is null then (select p.id from public.chat_messages p where p.session_id = p_session_id
                                                                          and p.seq < w.seq order by p.seq desc limit 1) end) as prev_id,
                           coalesce(pg_catalog.lag(w.seq) over (order by w.seq),
                                    case when w.parent_id is null then (select p.seq from public.chat_messages p where p.session_id = p_session_id
                                                                          and p.seq < w.seq order by p.seq desc limit 1) end) as prev_seq
                      from (select c.* from public.chat_messages c
                             where c.session_id = p_session_id and c.seq between v_from and v_to
                             order by c.seq
                             limit v_rem) w) x
              left join lateral (select * from chat_private.chat_message_now(x.id, x.user_id) n where x.lease_ms is not null offset 0) r on true
              -- A run head (or the session's first message): its place among the versions, a few probes (once per range).
              left join lateral (select * from chat_private.chat_head_pos(p_session_id, x.seq, x.parent_id) h
                                  where v_all and v_sib and (x.parent_id is not null or x.prev_seq is null) offset 0) hp on true;
        end if;
        get diagnostics v_got = row_count;
        v_rem := v_rem - v_got;
      end if;
      v_i := case when v_older then v_i - 1 else v_i + 1 end;
    end loop;
    exit pieces when v_rem = 0 or v_prefix or not v_older;
    if v_hops < 3 and (p_boundary is null or p_boundary > v_starts[1]) then
      -- The page goes on in the range above: the run's parent link names it (its run and where the path leaves it), one
      -- probe instead of reading the route (up to 2 x 8 KB on a path of 1,000 ranges). The newest page of a session that
      -- was just edited reads its second range this way.
      v_hops := v_hops + 1;
      select r.parent_run, r.parent_seq into v_end_run, v_end_seq from chat_private.chat_runs r
       where r.session_id = p_session_id and r.start_seq = v_starts[1];
      exit pieces when v_end_run is null;
      v_starts := array[v_end_run];
      v_ends := array[v_end_seq];
      continue pieces;
    end if;
    -- Older messages lie in the ranges above the last one: read the route once and go on from the right range.
    select r.prefix_starts || v_end_run, r.prefix_ends || v_end_seq into v_starts, v_ends
      from chat_private.chat_runs r where r.session_id = p_session_id and r.start_seq = v_end_run;
    v_prefix := true;
    if pg_catalog.cardinality(v_starts) <= 1 then
      exit pieces;
    end if;
    -- Continue below the last range (already read): the boundary for the search is its start.
    v_n := pg_catalog.cardinality(v_starts) - 1;
    v_starts := v_starts[1:v_n];
    v_ends := v_ends[1:v_n];
  end loop;
  if v_rem < p_limit then
    return;
  end if;
  return query
    select null::uuid, null::uuid, null::bigint, null::text, null::text, null::jsonb, null::timestamptz, null::boolean, v_beyond,
           null::smallint, null::smallint, null::text, null::timestamptz, null::uuid, null::int, null::int;
end $$;


-- Begins a reply (version 3's contract) under p_parent_id (default: the active leaf; a message of this session, never the
-- nil uuid); it becomes the active leaf. p_max_versions caps the parent's children (PT409).
drop function if exists public.chat_begin_reply(uuid, uuid, jsonb, int, uuid);
create or replace function public.chat_begin_reply(
  p_session_id uuid, p_id uuid, p_metadata jsonb default null, p_lease_ms int default 30000, p_user_id uuid default null,
  p_parent_id uuid default null, p_max_versions int default 1000)
returns table (id uuid, session_id uuid, seq bigint, role text, content text, metadata jsonb, created_at timestamptz,
               is_favorite boolean, status smallint, status_reason smallint, status_detail text, lease_expires_at timestamptz,
               parent_id uuid)
language plpgsql volatile security invoker set search_path = ''
as $$
#variable_conflict use_column
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
  v_open uuid[];
  v_leaf uuid;
  v_stored public.chat_messages;
begin
  if p_id is null or p_lease_ms is null or p_lease_ms not between 5000 and 600000
     or (p_metadata is not null and pg_catalog.jsonb_typeof(p_metadata) <> 'object')
     or p_parent_id = '00000000-0000-0000-0000-000000000000'::uuid or p_parent_id = p_id
     or p_max_versions is null or p_max_versions not between 2 and 100000 then
    raise exception 'chat: a reply needs an id, a lease of 5000 to 600000 ms, metadata that is an object, a parent that is a message and p_max_versions of 2 to 100000'
      using errcode = '22023';
  end if;
  select s.open_replies, s.leaf_id into v_open, v_leaf from public.chat_sessions s where s.id = p_session_id and s.user_id = v_user for update;
  if not found then
    raise exception 'chat: session % not found', p_session_id using errcode = 'PT404';
  end if;
  perform pg_catalog.set_config('chat.locked_session', p_session_id::text, true);
  if v_open is not null then
    perform chat_private.chat_compact_reply(n.id, coalesce(n.status, 0::smallint), coalesce(n.status_reason, 0::smallint), n.status_detail, null, p_user_id)
       from pg_catalog.unnest(v_open) as r(id)
      cross join lateral chat_private.chat_message_now(r.id, v_user) n
      where r.id <> p_id and n.status is distinct from 1 and pg_catalog.pg_try_advisory_xact_lock(chat_private.chat_reply_key(r.id));
  end if;
  select * into v_stored from public.chat_messages c where c.id = p_id;
  if found then
    if v_stored.session_id <> p_session_id or v_stored.role <> 'assistant'
       or (p_parent_id is not null and chat_private.chat_parent_of(v_stored.session_id, v_stored.seq, v_stored.parent_id) is distinct from p_parent_id) then
      raise exception 'chat: message % is already stored with different data', p_id using errcode = 'PT409';
    end if;
  elsif v_leaf is null and p_parent_id is null then
    if not chat_private.chat_write_reply('begin', p_id, p_user_id, p_session_id, p_metadata, p_lease_ms) then
      raise exception 'chat: message % is already stored with different data', p_id using errcode = 'PT409';
    end if;
  else
    perform from chat_private.chat_append_tree(
      p_session_id,
      pg_catalog.jsonb_build_array(pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'id', p_id, 'role', 'assistant', 'content', '', 'metadata', coalesce(p_metadata, '{}'::jsonb), 'parent_id', p_parent_id))),
      p_user_id, p_max_versions, p_lease_ms);
  end if;
  return query select n.*, chat_private.chat_parent_of(c.session_id, c.seq, c.parent_id)
                 from chat_private.chat_message_now(p_id, v_user) n join public.chat_messages c on c.id = n.id;
end $$;

-- Switches the active path through a message (design §3.4): down to the leaf last active beneath it. A message already on
-- the active path: changed = false, nothing written, no event. Another session's or user's message: PT404.
create or replace function public.chat_switch_branch(p_session_id uuid, p_message_id uuid, p_user_id uuid default null)
returns table (leaf_id uuid, leaf_seq bigint, fork_seq bigint, changed boolean)
language sql volatile security invoker set search_path = ''
as $$
  select * from chat_private.chat_switch(p_session_id, p_message_id, p_user_id);
$$;

-- The versions of a message: its parent's children (or the session's roots), oldest first, and which is on the active
-- path. Another user's message: PT404.
create or replace function public.chat_get_siblings(p_message_id uuid, p_user_id uuid default null)
returns table (session_id uuid, parent_id uuid, id uuid, seq bigint, role text, created_at timestamptz, status smallint, is_active boolean)
language plpgsql stable security invoker set search_path = ''
as $$
#variable_conflict use_column
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
  v_msg record;
  v_session record;
  v_parent uuid;
  v_pseq bigint;
  v_route record;
  v_implicit record;
begin
  select c.session_id, c.seq, c.parent_id into v_msg from public.chat_messages c where c.id = p_message_id and c.user_id = v_user;
  if not found then
    raise exception 'chat: message % not found', p_message_id using errcode = 'PT404';
  end if;
  select s.active_run, s.leaf_id, s.leaf_seq into v_session from public.chat_sessions s where s.id = v_msg.session_id;
  v_parent := chat_private.chat_parent_of(v_msg.session_id, v_msg.seq, v_msg.parent_id);
  if v_session.leaf_id is null then
    -- Never branched: one version.
    return query select v_msg.session_id, v_parent, n.id, n.seq, n.role, n.created_at, coalesce(n.status, 0::smallint), true
                   from chat_private.chat_message_now(p_message_id, v_user) n;
    return;
  end if;
  select * into v_route from chat_private.chat_route(v_msg.session_id, v_session.active_run, v_session.leaf_seq);
  if v_parent is not null then
    select c.seq into v_pseq from public.chat_messages c where c.id = v_parent;
  end if;
  return query
    select v_msg.session_id, v_parent, n.id, n.seq, n.role, n.created_at, coalesce(n.status, 0::smallint),
           chat_private.chat_on_route(chat_private.chat_run_of(v_msg.session_id, k.seq), k.seq, v_route.starts, v_route.ends)
      from (select r.head_id as id, r.start_seq as seq from chat_private.chat_runs r
             where r.session_id = v_msg.session_id and r.parent_seq is not distinct from v_pseq
            union all
            select c.id, c.seq from public.chat_messages c
             where v_pseq is not null and c.session_id = v_msg.session_id and c.parent_id is null
               and c.seq = (select min(x.seq) from public.chat_messages x where x.session_id = v_msg.session_id and x.seq > v_pseq)) k
      cross join lateral chat_private.chat_message_now(k.id, v_user) n
     order by k.seq;
end $$;

-- Search with, per hit, its parent and whether it lies on its session's active path (a session that never branched: yes).
drop function if exists public.chat_search(text, int, int, uuid, uuid);
drop function if exists chat_private.chat_search(text, int, int, uuid, uuid);
create or replace function chat_private.chat_search_hits(
  p_query text, p_limit int, p_offset int default 0, p_session_id uuid default null, p_user_id uuid default null,
  p_with_path boolean default true)
returns table (id uuid, session_id uuid, seq bigint, role text, content text, metadata jsonb, created_at timestamptz,
               is_favorite boolean, workflow_id text, rank real, headline text,
               status smallint, status_reason smallint, status_detail text, lease_expires_at timestamptz,
               parent_id uuid, on_active_path boolean)
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
           h.status, h.status_reason, h.status_detail, null::timestamptz,
           case when coalesce(p_with_path, true) then chat_private.chat_parent_of(h.session_id, h.seq, h.parent_id) end,
           case when not coalesce(p_with_path, true) then null
                when s.leaf_id is null then true
                else (select chat_private.chat_on_route(chat_private.chat_run_of(h.session_id, h.seq), h.seq, rt.starts, rt.ends)
                        from chat_private.chat_route(h.session_id, s.active_run, s.leaf_seq) rt) end
      from (select c.*, pg_catalog.ts_rank(c.search, v_query) as rank
              from public.chat_messages c
             where c.search @@ v_query and c.user_id = v_user
               and (p_session_id is null or c.session_id = p_session_id)
             order by rank desc, c.seq desc
             limit p_limit offset p_offset) h
      join public.chat_sessions s on s.id = h.session_id
     order by h.rank desc, h.seq desc;
end $$;

create or replace function public.chat_search(
  p_query text, p_limit int, p_offset int default 0, p_session_id uuid default null, p_user_id uuid default null,
  p_with_path boolean default true)
returns table (id uuid, session_id uuid, seq bigint, role text, content text, metadata jsonb, created_at timestamptz,
               is_favorite boolean, workflow_id text, rank real, headline text,
               status smallint, status_reason smallint, status_detail text, lease_expires_at timestamptz,
               parent_id uuid, on_active_path boolean)
language sql stable security invoker set search_path = ''
as $$
  select * from chat_private.chat_search_hits(p_query, p_limit, p_offset, p_session_id, p_user_id, p_with_path);
$$;

-- Favourites carry each message's parent too (a favourite may be on any branch; whether it is on the active path is not
-- computed there, design §3.6). p_with_path = false leaves parent_id null.
drop function if exists public.chat_set_favorite(uuid, boolean, uuid);
create or replace function public.chat_set_favorite(p_message_id uuid, p_is_favorite boolean, p_user_id uuid default null,
                                                    p_with_path boolean default true)
returns table (id uuid, session_id uuid, seq bigint, role text, content text, metadata jsonb, created_at timestamptz,
               is_favorite boolean, status smallint, status_reason smallint, status_detail text, lease_expires_at timestamptz,
               parent_id uuid)
language plpgsql volatile security invoker set search_path = ''
as $$
#variable_conflict use_column
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
begin
  if p_is_favorite is null then
    raise exception 'chat: p_is_favorite is required' using errcode = '22023';
  end if;
  update public.chat_messages c set is_favorite = p_is_favorite where c.id = p_message_id and c.user_id = v_user;
  if not found then
    raise exception 'chat: message % not found', p_message_id using errcode = 'PT404';
  end if;
  return query select n.*, case when coalesce(p_with_path, true) then chat_private.chat_parent_of(c.session_id, c.seq, c.parent_id) end
                 from chat_private.chat_message_now(p_message_id, v_user) n join public.chat_messages c on c.id = n.id;
end $$;

drop function if exists public.chat_list_favorites(int, bigint, uuid, uuid);
create or replace function public.chat_list_favorites(
  p_limit int, p_before_seq bigint default null, p_session_id uuid default null, p_user_id uuid default null,
  p_with_path boolean default true)
returns table (id uuid, session_id uuid, seq bigint, role text, content text, metadata jsonb, created_at timestamptz,
               is_favorite boolean, status smallint, status_reason smallint, status_detail text, lease_expires_at timestamptz,
               parent_id uuid)
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
    select c.id, c.session_id, c.seq, c.role,
           case when c.lease_ms is null then c.content else r.content end, c.metadata, c.created_at, c.is_favorite,
           case when c.lease_ms is null then c.status else r.status end,
           case when c.lease_ms is null then c.status_reason else r.status_reason end,
           case when c.lease_ms is null then c.status_detail else r.status_detail end,
           case when c.lease_ms is null then null::timestamptz else r.lease_expires_at end,
           case when coalesce(p_with_path, true) then chat_private.chat_parent_of(c.session_id, c.seq, c.parent_id) end
      from public.chat_messages c
      left join lateral (select * from chat_private.chat_message_now(c.id, c.user_id) n where c.lease_ms is not null offset 0) r on true
     where c.user_id = v_user and c.is_favorite
       and (p_session_id is null or c.session_id = p_session_id)
       and (p_before_seq is null or c.seq < p_before_seq)
     order by c.seq desc
     limit p_limit;
end $$;

-- A reply's end and a stop request return the reply with its parent (version 3's bodies otherwise). p_with_path is accepted
-- for symmetry with the other message-returning functions (the parent is always computed: one probe).
drop function if exists public.chat_finish_reply(uuid, bigint, text, int, int, int, smallint, smallint, text, jsonb, uuid);
create or replace function public.chat_finish_reply(
  p_message_id uuid, p_offset bigint, p_text text, p_length int, p_utf8_bytes int, p_max_bytes int,
  p_status smallint, p_reason smallint default null, p_detail text default null, p_metadata jsonb default null,
  p_user_id uuid default null, p_with_path boolean default true)
returns table (id uuid, session_id uuid, seq bigint, role text, content text, metadata jsonb, created_at timestamptz,
               is_favorite boolean, status smallint, status_reason smallint, status_detail text, lease_expires_at timestamptz,
               parent_id uuid)
language plpgsql volatile security invoker set search_path = ''
as $$
#variable_conflict use_column
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
  v_session uuid;
  v_now record;
  v_end bigint;
begin
  perform chat_private.chat_check_chunk(p_offset, p_text, p_length, p_utf8_bytes, p_max_bytes);
  if p_status is null or p_status not in (0, 2, 3) or (coalesce(p_reason, 0) = 0) <> (p_status = 0)
     or coalesce(p_reason, 0) not between 0 and 5 or (p_detail is not null and (coalesce(p_reason, 0) = 0 or char_length(p_detail) > 500))
     or (p_metadata is not null and pg_catalog.jsonb_typeof(p_metadata) <> 'object') then
    raise exception 'chat: a reply ends as complete (0, no reason), stopped (2) or interrupted (3) with a reason of 1 to 5; a detail of at most 500 characters goes with a reason; metadata is an object'
      using errcode = '22023';
  end if;
  select c.session_id into v_session from public.chat_messages c where c.id = p_message_id and c.user_id = v_user;
  if not found then
    raise exception 'chat: message % not found', p_message_id using errcode = 'PT404';
  end if;
  perform 1 from public.chat_sessions s where s.id = v_session for update;
  perform pg_catalog.pg_advisory_xact_lock(chat_private.chat_reply_key(p_message_id));
  -- Read again under both locks: a clear may have removed it meanwhile.
  select * into v_now from chat_private.chat_message_now(p_message_id, v_user);
  if v_now.id is null then
    raise exception 'chat: message % not found', p_message_id using errcode = 'PT404';
  end if;
  if exists (select from public.chat_messages c where c.id = p_message_id and c.lease_ms is not null) then
    if v_now.status is distinct from 1 then
      -- Ended already (too large, or its lease expired): settle it as it reads.
      perform chat_private.chat_compact_reply(p_message_id, coalesce(v_now.status, 0::smallint), coalesce(v_now.status_reason, 0::smallint),
                                             v_now.status_detail, null, p_user_id);
    else
      if p_length > 0 then
        select k.start_offset + k.length into v_end from chat_private.chat_reply_chunks k
         where k.message_id = p_message_id order by k.start_offset desc limit 1;
        v_end := coalesce(v_end, 0);
        if chat_private.chat_check_offset(p_message_id, v_end, p_offset, p_text, p_length) = 'append' then
          if coalesce((select sum(k.utf8_bytes) from chat_private.chat_reply_chunks k where k.message_id = p_message_id), 0) + p_utf8_bytes
             > least(p_max_bytes, 16777216) then
            perform chat_private.chat_compact_reply(p_message_id, 3::smallint, 5::smallint,
                                                   pg_catalog.format('The reply reached %s UTF-8 bytes.', least(p_max_bytes, 16777216)), null, p_user_id);
            return query select n.*, chat_private.chat_parent_of(c.session_id, c.seq, c.parent_id) from chat_private.chat_message_now(p_message_id, v_user) n join public.chat_messages c on c.id = n.id;
            return;
          end if;
          insert into chat_private.chat_reply_chunks (message_id, start_offset, length, utf8_bytes, user_id, text)
          values (p_message_id, p_offset, p_length, p_utf8_bytes, v_user, p_text);
        end if;
      end if;
      perform chat_private.chat_compact_reply(p_message_id, p_status, coalesce(p_reason, 0::smallint), p_detail, p_metadata, p_user_id);
    end if;
  end if;
  return query select n.*, chat_private.chat_parent_of(c.session_id, c.seq, c.parent_id) from chat_private.chat_message_now(p_message_id, v_user) n join public.chat_messages c on c.id = n.id;
end $$;

drop function if exists public.chat_stop_reply(uuid, uuid);
create or replace function public.chat_stop_reply(p_message_id uuid, p_user_id uuid default null, p_with_path boolean default true)
returns table (id uuid, session_id uuid, seq bigint, role text, content text, metadata jsonb, created_at timestamptz,
               is_favorite boolean, status smallint, status_reason smallint, status_detail text, lease_expires_at timestamptz,
               parent_id uuid)
language plpgsql volatile security invoker set search_path = ''
as $$
#variable_conflict use_column
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
  v_now record;
begin
  select * into v_now from chat_private.chat_message_now(p_message_id, v_user);
  if v_now.id is null then
    raise exception 'chat: message % not found', p_message_id using errcode = 'PT404';
  end if;
  if v_now.status = 1 and v_now.status_reason is null then
    perform chat_private.chat_write_reply('stop', p_message_id, p_user_id);
  end if;
  return query select n.*, chat_private.chat_parent_of(c.session_id, c.seq, c.parent_id) from chat_private.chat_message_now(p_message_id, v_user) n join public.chat_messages c on c.id = n.id;
end $$;

-- ---------------------------------------------------------------------------------------------------------------
-- The change feed: ActivePathChanged (kind 8) when a session's path_version moves (a switch, an append under a parent
-- that was not the leaf), with the new leaf and the fork (the last sequence shared by the old and the new path, set by
-- the writer in chat.fork_seq for its transaction). A clear resets path_version to null: SessionCleared only.
-- ---------------------------------------------------------------------------------------------------------------
create or replace function chat_private.chat_record_change()
returns trigger
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_kind smallint := tg_argv[0]::smallint;
  v_user uuid;
  v_session uuid;
  v_seq bigint;
  v_message uuid;
  v_favorite boolean;
  v_status smallint;
  v_fork bigint;
begin
  if v_kind in (5, 7, 9) then
    v_user := new.user_id; v_session := new.session_id; v_seq := new.seq; v_message := new.id;
    if v_kind = 5 then
      v_favorite := new.is_favorite;
    elsif v_kind = 7 then
      v_status := coalesce(new.status, 0);
    end if;
  elsif v_kind = 3 then
    v_user := old.user_id; v_session := old.id;
  elsif v_kind = 8 then
    v_user := new.user_id; v_session := new.id; v_seq := new.leaf_seq; v_message := new.leaf_id;
    v_fork := nullif(pg_catalog.current_setting('chat.fork_seq', true), '')::bigint;
  else
    v_user := new.user_id; v_session := new.id;
    if v_kind = 1 then
      -- One change per append call (the call bumps message_count once): the session's newest sequence, one index probe.
      select max(c.seq) into v_seq from public.chat_messages c where c.session_id = new.id;
    end if;
  end if;
  insert into chat_private.chat_changes (kind, user_id, session_id, seq, message_id, is_favorite, reply_status, fork_seq)
  values (v_kind, v_user, v_session, v_seq, v_message, v_favorite, v_status, v_fork);
  -- No payload: the listener reads the log. PostgreSQL folds identical notifications of one transaction into one.
  perform pg_catalog.pg_notify('chat_changes', '');
  return null;
end $$;

revoke all on function chat_private.chat_record_change()
  from public, anon, authenticated, service_role;

create or replace trigger chat_sessions_path_changed
  after update of path_version on public.chat_sessions
  for each row when (new.path_version is not null and new.path_version is distinct from old.path_version)
  execute function chat_private.chat_record_change('8');

-- ---------------------------------------------------------------------------------------------------------------
-- Grants: the public functions to authenticated and service_role; the helpers they call too (in chat_private, not exposed);
-- nothing for anon.
-- ---------------------------------------------------------------------------------------------------------------
revoke all on function
  chat_private.chat_run_of(uuid, bigint), chat_private.chat_route(uuid, bigint, bigint),
  chat_private.chat_fork(bigint[], bigint[], bigint[], bigint[]), chat_private.chat_on_route(bigint, bigint, bigint[], bigint[]),
  chat_private.chat_sibling_pos(uuid, bigint, bigint), chat_private.chat_parent_of(uuid, bigint, uuid),
  chat_private.chat_head_pos(uuid, bigint, uuid),
  chat_private.chat_append_tree(uuid, jsonb, uuid, int, int), chat_private.chat_switch(uuid, uuid, uuid),
  chat_private.chat_search_hits(text, int, int, uuid, uuid, boolean),
  public.chat_append_messages(uuid, jsonb, uuid, int),
  public.chat_read_messages(uuid, int, boolean, bigint, uuid, uuid, boolean, boolean),
  public.chat_begin_reply(uuid, uuid, jsonb, int, uuid, uuid, int),
  public.chat_switch_branch(uuid, uuid, uuid), public.chat_get_siblings(uuid, uuid),
  public.chat_search(text, int, int, uuid, uuid, boolean),
  public.chat_set_favorite(uuid, boolean, uuid, boolean), public.chat_list_favorites(int, bigint, uuid, uuid, boolean),
  public.chat_finish_reply(uuid, bigint, text, int, int, int, smallint, smallint, text, jsonb, uuid, boolean),
  public.chat_stop_reply(uuid, uuid, boolean)
  from public, anon, authenticated, service_role;
grant execute on function
  chat_private.chat_run_of(uuid, bigint), chat_private.chat_route(uuid, bigint, bigint),
  chat_private.chat_fork(bigint[], bigint[], bigint[], bigint[]), chat_private.chat_on_route(bigint, bigint, bigint[], bigint[]),
  chat_private.chat_sibling_pos(uuid, bigint, bigint), chat_private.chat_parent_of(uuid, bigint, uuid),
  chat_private.chat_head_pos(uuid, bigint, uuid),
  chat_private.chat_append_tree(uuid, jsonb, uuid, int, int), chat_private.chat_switch(uuid, uuid, uuid),
  chat_private.chat_search_hits(text, int, int, uuid, uuid, boolean),
  public.chat_append_messages(uuid, jsonb, uuid, int),
  public.chat_read_messages(uuid, int, boolean, bigint, uuid, uuid, boolean, boolean),
  public.chat_begin_reply(uuid, uuid, jsonb, int, uuid, uuid, int),
  public.chat_switch_branch(uuid, uuid, uuid), public.chat_get_siblings(uuid, uuid),
  public.chat_search(text, int, int, uuid, uuid, boolean),
  public.chat_set_favorite(uuid, boolean, uuid, boolean), public.chat_list_favorites(int, bigint, uuid, uuid, boolean),
  public.chat_finish_reply(uuid, bigint, text, int, int, int, smallint, smallint, text, jsonb, uuid, boolean),
  public.chat_stop_reply(uuid, uuid, boolean)
  to authenticated, service_role;

notify pgrst, 'reload schema';

commit;
