-- ChatPersistence.Sdk — PostgreSQL / Supabase schema, version 3: replies stored while they are written (issue 26).
-- Idempotent: applying it again is a no-op. Runs as the database owner after the earlier migrations.
-- Design: docs/design/conversation-tree-and-live-replies.md §3.5 (semantics), §4.1 (storage), §5 (WAL budget), §6 (errors).
--
-- No table rewrite, no scan, no index build on existing tables: every new column is nullable with no default (a catalog
-- change only), every new constraint is NOT VALID, the only new indexes are on the new (empty) chunk table. The only
-- locks on existing tables are the brief ACCESS EXCLUSIVE of ALTER TABLE; lock_timeout makes the file fail rather than
-- queue behind a long transaction (run it again: it is idempotent).
--
-- A reply in progress is an assistant message whose text lives in chat_private.chat_reply_chunks until it ends: each flush
-- inserts only its new text (no rewrite of what is stored: writes stay linear in the text), and the end compacts the
-- chunks once into chat_messages.content, where the search vector is computed (streaming text is never indexed). The
-- status is computed at read time from the stored state and the database's now(): a streaming reply whose writer made
-- no progress for its lease reads as interrupted (or stopped, after a stop request), with no background job.
--
-- chat_messages.status:        null complete | 1 streaming | 2 stopped | 3 interrupted        (ChatReplyStatus)
-- chat_messages.status_reason: null none | 1 stop requested | 2 caller stopped | 3 failed | 4 lease expired | 5 too large
-- chat_messages.lease_ms:      not null exactly while the text is in chunks (streaming, or ended and not compacted yet)
-- chat_messages.touched_at:    while in chunks: the begin, the last heartbeat, or the stop request's time; after: the end

begin;
set local lock_timeout = '5s';

alter table public.chat_messages
  add column if not exists status        smallint,
  add column if not exists status_reason smallint,
  add column if not exists status_detail text,
  add column if not exists lease_ms      integer,
  add column if not exists touched_at    timestamptz;

-- A reply may be empty (it has just begun; or the model said nothing and it ended complete: touched_at, set by the
-- functions only, marks a reply); an ordinary message still says something.
alter table public.chat_messages drop constraint if exists chat_messages_not_empty_check;
alter table public.chat_messages add constraint chat_messages_not_empty_check
  check (content <> '' or metadata <> '{}'::jsonb or status is not null or lease_ms is not null or touched_at is not null) not valid;
alter table public.chat_messages drop constraint if exists chat_messages_status_check;
alter table public.chat_messages add constraint chat_messages_status_check
  check ((status is null and status_reason is null and lease_ms is null)
      or (status = 1 and lease_ms between 5000 and 600000 and touched_at is not null and (status_reason is null or status_reason = 1))
      or (status in (2, 3) and status_reason between 1 and 5)) not valid;
alter table public.chat_messages drop constraint if exists chat_messages_status_detail_check;
alter table public.chat_messages add constraint chat_messages_status_detail_check
  check (status_detail is null or (status_reason is not null and char_length(status_detail) <= 500)) not valid;

-- The session's replies begun and not compacted yet (usually none or one): retention skips a session while one of them is
-- live, and clear/delete wait for their in-flight flushes. Maintained by the triggers below, whatever path a write takes.
alter table public.chat_sessions add column if not exists open_replies uuid[];

-- Chunks of replies not compacted yet. In chat_private: an internal detail of the functions, with no table endpoint over
-- the Data API. No foreign key (an RI check per flush would lock and dirty the message row); chunks go with their message
-- (chat_messages_reply_deleted) or at compaction. Only the primary key is indexed: a flush writes one heap row and one
-- index entry (a BRIN index on written_at, for a later sweep of orphans, would log a summary update on every flush, since
-- each one extends the range: measured, ~70 of the ~370 bytes a flush writes besides its text).
create table if not exists chat_private.chat_reply_chunks (
  message_id   uuid        not null,
  start_offset bigint      not null,   -- UTF-16 offset in the reply as written (before the U+0000 escape)
  length       integer     not null,   -- UTF-16 length of the chunk as written (computed by the SDK)
  utf8_bytes   integer     not null,   -- UTF-8 size of the chunk as written (computed by the SDK; the size limit)
  user_id      uuid        not null,
  written_at   timestamptz not null default pg_catalog.now(),
  text         text        not null,   -- as stored (escaped, as every message's content)
  constraint chat_reply_chunks_pkey primary key (message_id, start_offset),
  constraint chat_reply_chunks_length_check check (length > 0 and utf8_bytes > 0 and start_offset >= 0)
);

alter table chat_private.chat_reply_chunks enable row level security;
drop policy if exists chat_reply_chunks_select on chat_private.chat_reply_chunks;
drop policy if exists chat_reply_chunks_insert on chat_private.chat_reply_chunks;
drop policy if exists chat_reply_chunks_delete on chat_private.chat_reply_chunks;
create policy chat_reply_chunks_select on chat_private.chat_reply_chunks for select to authenticated using (user_id = (select auth.uid()));
create policy chat_reply_chunks_insert on chat_private.chat_reply_chunks for insert to authenticated with check (user_id = (select auth.uid()));
create policy chat_reply_chunks_delete on chat_private.chat_reply_chunks for delete to authenticated using (user_id = (select auth.uid()));
revoke all on chat_private.chat_reply_chunks from public, anon, authenticated, service_role;
grant select, insert, delete on chat_private.chat_reply_chunks to authenticated, service_role;

-- A user writes no reply column directly (the grants on chat_messages stay as they were: insert the message, update the
-- favourite flag). The reply functions run as the caller (RLS decides what they read and which chunks they insert), and
-- their few writes of the database's columns (the reply's state, the compaction into content) go through the SECURITY
-- DEFINER helpers below, which resolve the caller themselves and touch only the caller's rows.

-- ---------------------------------------------------------------------------------------------------------------
-- Triggers: the database's bookkeeping of replies, whatever path a write takes.
-- ---------------------------------------------------------------------------------------------------------------

-- After a reply is begun (inserted with a lease) or compacted (its lease cleared), and after one is deleted: the session's
-- open_replies, and the activity time at the end (an end is activity, as an append is). SECURITY DEFINER: no user writes
-- these columns; it reads only the row the trigger fired for. A deleted reply's chunks go with it.
create or replace function chat_private.chat_reply_changed()
returns trigger
language plpgsql volatile security definer set search_path = ''
as $$
begin
  if tg_op = 'INSERT' then
    update public.chat_sessions s set open_replies = pg_catalog.array_append(coalesce(s.open_replies, '{}'), new.id)
     where s.id = new.session_id;
  elsif tg_op = 'UPDATE' then
    update public.chat_sessions s
       set open_replies = nullif(pg_catalog.array_remove(s.open_replies, new.id), '{}'),
           updated_at = greatest(pg_catalog.now(), s.updated_at + interval '1 microsecond')
     where s.id = new.session_id;
  else
    delete from chat_private.chat_reply_chunks k where k.message_id = old.id;
    update public.chat_sessions s set open_replies = nullif(pg_catalog.array_remove(s.open_replies, old.id), '{}')
     where s.id = old.session_id and old.id = any (s.open_replies);
  end if;
  return null;
end $$;

revoke all on function chat_private.chat_reply_changed()
  from public, anon, authenticated, service_role;

create or replace trigger chat_messages_reply_begun
  after insert on public.chat_messages
  for each row when (new.lease_ms is not null) execute function chat_private.chat_reply_changed();
create or replace trigger chat_messages_reply_compacted
  after update of lease_ms on public.chat_messages
  for each row when (old.lease_ms is not null and new.lease_ms is null) execute function chat_private.chat_reply_changed();
-- The condition is false for every ordinary row: a clear of 1M messages pays one comparison per row.
create or replace trigger chat_messages_reply_deleted
  after delete on public.chat_messages
  for each row when (old.lease_ms is not null) execute function chat_private.chat_reply_changed();

-- ---------------------------------------------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------------------------------------------

-- The per-reply advisory lock's key (no WAL, no row lock): the UUID's last 64 bits (random in v4 and v7 ids).
create or replace function chat_private.chat_reply_key(p_message_id uuid)
returns bigint
language sql immutable security invoker set search_path = ''
as $$
  select ('x' || pg_catalog.right(pg_catalog.replace(p_message_id::text, '-', ''), 16))::bit(64)::bigint;
$$;

-- The length in UTF-16 code units of a stored (escaped) text as written: U+FDD0 + one character is one character as
-- written (StoredText's escape), a character beyond the BMP is two code units. A lone U+FDD0 at the end counts nothing.
create or replace function chat_private.chat_utf16_length(p_text text)
returns bigint
language sql immutable security invoker set search_path = ''
as $$
  select pg_catalog.char_length(t) + pg_catalog.char_length(pg_catalog.regexp_replace(t, '[^\U00010000-\U0010FFFF]', '', 'g'))
    from (select pg_catalog.regexp_replace(pg_catalog.regexp_replace(p_text, U&'\FDD0$', ''), U&'\FDD0.', 'x', 'g') as t) x;
$$;

-- The deadline of a streaming reply: last progress (begin, heartbeat, a flush) + lease, capped at the stop request's time
-- + 5 s once a stop is requested (while status_reason = 1, touched_at is the stop time and heartbeats leave it).
create or replace function chat_private.chat_reply_deadline(p_message_id uuid, p_reason smallint, p_lease_ms int, p_touched_at timestamptz)
returns timestamptz
language sql stable security invoker set search_path = ''
as $$
  select case when p_reason = 1
              then least(greatest(p_touched_at, w.written_at) + p_lease_ms * interval '1 millisecond', p_touched_at + interval '5 seconds')
              else greatest(p_touched_at, w.written_at) + p_lease_ms * interval '1 millisecond' end
    from (select (select k.written_at from chat_private.chat_reply_chunks k
                   where k.message_id = p_message_id order by k.start_offset desc limit 1) as written_at) w;
$$;

-- A message as it reads now (the columns of a page row but `beyond`): the text from its chunks while it has some, the
-- status computed from the lease. RLS applies (SECURITY INVOKER): another user's message is not found.
create or replace function chat_private.chat_message_now(p_message_id uuid, p_user uuid)
returns table (id uuid, session_id uuid, seq bigint, role text, content text, metadata jsonb, created_at timestamptz,
               is_favorite boolean, status smallint, status_reason smallint, status_detail text, lease_expires_at timestamptz)
language sql stable security invoker set search_path = ''
as $$
  select c.id, c.session_id, c.seq, c.role,
         case when c.lease_ms is null then c.content
              else coalesce((select pg_catalog.string_agg(k.text, '' order by k.start_offset) from chat_private.chat_reply_chunks k
                              where k.message_id = c.id), '') end,
         c.metadata, c.created_at, c.is_favorite,
         case when c.status = 1 and d.deadline <= pg_catalog.now() then (case when c.status_reason = 1 then 2 else 3 end)::smallint else c.status end,
         case when c.status = 1 and d.deadline <= pg_catalog.now() then (case when c.status_reason = 1 then 1 else 4 end)::smallint else c.status_reason end,
         case when c.status = 1 and d.deadline <= pg_catalog.now() and c.status_reason is distinct from 1
              then 'The writer made no progress for the reply''s lease.' else c.status_detail end,
         case when c.status = 1 and d.deadline > pg_catalog.now() then d.deadline end
    from public.chat_messages c
    cross join lateral (select case when c.status = 1 then chat_private.chat_reply_deadline(c.id, c.status_reason, c.lease_ms, c.touched_at) end as deadline) d
   where c.id = p_message_id and c.user_id = p_user;
$$;

-- Whether one of the replies is still streaming within its lease (retention skips its session).
create or replace function chat_private.chat_has_live_reply(p_replies uuid[])
returns boolean
language sql stable security invoker set search_path = ''
as $$
  select exists (select from public.chat_messages c
                  where c.id = any (p_replies) and c.status = 1 and c.lease_ms is not null
                    and chat_private.chat_reply_deadline(c.id, c.status_reason, c.lease_ms, c.touched_at) > pg_catalog.now());
$$;

-- Compacts a reply (the caller holds its session's row lock and the reply's advisory lock): the chunks become the content
-- (the search vector is computed now, once), the end status is stored, the chunks are deleted; chat_reply_changed takes
-- the reply out of the session's open_replies and moves updated_at. p_status 0 = complete.
-- SECURITY DEFINER (no user may write content after the fact, nor the reply columns): like chat_private.chat_search, it
-- resolves the caller itself with chat_caller (the same allowlist as the invoker functions) and writes only that user's row.
create or replace function chat_private.chat_compact_reply(
  p_message_id uuid, p_status smallint, p_reason smallint, p_detail text, p_metadata jsonb, p_user_id uuid)
returns void
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
begin
  update public.chat_messages c
     set content = coalesce((select pg_catalog.string_agg(k.text, '' order by k.start_offset) from chat_private.chat_reply_chunks k
                              where k.message_id = p_message_id and k.user_id = v_user), ''),
         status = nullif(p_status, 0), status_reason = nullif(p_reason, 0), status_detail = p_detail,
         metadata = coalesce(p_metadata, c.metadata), lease_ms = null, touched_at = pg_catalog.now()
   where c.id = p_message_id and c.user_id = v_user and c.lease_ms is not null;
  delete from chat_private.chat_reply_chunks k where k.message_id = p_message_id and k.user_id = v_user;
end $$;

-- The other writes of a reply's state (SECURITY DEFINER, as chat_compact_reply, the caller's streaming row only):
-- 'begin' inserts the reply (the composite foreign key holds it to the caller's session; false when the id is taken),
-- 'heartbeat' renews the lease, 'stop' records a stop request, 'too_large' ends it as interrupted/too large.
create or replace function chat_private.chat_write_reply(
  p_kind text, p_message_id uuid, p_user_id uuid, p_session_id uuid default null, p_metadata jsonb default null,
  p_lease_ms int default null, p_detail text default null)
returns boolean
language plpgsql volatile security definer set search_path = ''
as $$
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
begin
  if p_kind = 'begin' then
    insert into public.chat_messages as t (id, session_id, user_id, role, content, metadata, created_at, status, lease_ms, touched_at)
    values (p_message_id, p_session_id, v_user, 'assistant', '', coalesce(p_metadata, '{}'::jsonb), pg_catalog.now(), 1, p_lease_ms, pg_catalog.now())
    on conflict on constraint chat_messages_pkey do nothing;
  elsif p_kind = 'heartbeat' then
    update public.chat_messages c set touched_at = pg_catalog.now()
     where c.id = p_message_id and c.user_id = v_user and c.status = 1 and c.status_reason is null and c.lease_ms is not null;
  elsif p_kind = 'stop' then
    update public.chat_messages c set status_reason = 1, touched_at = pg_catalog.now()
     where c.id = p_message_id and c.user_id = v_user and c.status = 1 and c.status_reason is null and c.lease_ms is not null;
  elsif p_kind = 'too_large' then
    update public.chat_messages c set status = 3, status_reason = 5, status_detail = p_detail
     where c.id = p_message_id and c.user_id = v_user and c.status = 1 and c.lease_ms is not null;
  else
    raise exception 'chat: unknown reply write %', p_kind using errcode = '22023';
  end if;
  return found;
end $$;

-- Checks a flush against the stored chunks: 'append' when it goes at the end, 'retry' when exactly that text is already
-- stored at that offset (nothing to write), else PT409. p_end is the stored length. A partial retry is rare: its text is
-- found by a binary search of the escaped position whose length as written is the offset.
create or replace function chat_private.chat_check_offset(p_message_id uuid, p_end bigint, p_offset bigint, p_text text, p_length int)
returns text
language plpgsql stable security invoker set search_path = ''
as $$
declare
  v_start bigint;
  v_stored text;
  v_want bigint;
  v_lo int;
  v_hi int;
  v_mid int;
begin
  if p_offset = p_end then
    return 'append';
  end if;
  if p_offset < p_end and p_offset + p_length <= p_end then
    select k.start_offset into v_start from chat_private.chat_reply_chunks k
     where k.message_id = p_message_id and k.start_offset <= p_offset order by k.start_offset desc limit 1;
    select pg_catalog.string_agg(k.text, '' order by k.start_offset) into v_stored from chat_private.chat_reply_chunks k
     where k.message_id = p_message_id and k.start_offset >= v_start and k.start_offset < p_offset + p_length;
    v_want := p_offset - v_start;
    v_lo := 0;
    v_hi := pg_catalog.char_length(v_stored);
    while v_lo < v_hi loop
      v_mid := (v_lo + v_hi) / 2;
      if chat_private.chat_utf16_length(pg_catalog.left(v_stored, v_mid)) < v_want then v_lo := v_mid + 1; else v_hi := v_mid; end if;
    end loop;
    if chat_private.chat_utf16_length(pg_catalog.left(v_stored, v_lo)) = v_want
       and pg_catalog.substr(v_stored, v_lo + 1, pg_catalog.char_length(p_text)) = p_text then
      return 'retry';
    end if;
  end if;
  raise exception 'chat: reply % holds % characters; text at offset % would leave a gap or differs from what is stored there',
    p_message_id, p_end, p_offset using errcode = 'PT409';
end $$;

create or replace function chat_private.chat_check_chunk(p_offset bigint, p_text text, p_length int, p_utf8_bytes int, p_max_bytes int)
returns void
language plpgsql immutable security invoker set search_path = ''
as $$
begin
  if p_offset is null or p_offset < 0 or p_text is null or p_length is null or p_length < 0 or p_utf8_bytes is null
     or p_utf8_bytes < 0 or (p_length = 0) <> (p_text = '') or (p_length = 0) <> (p_utf8_bytes = 0)
     or p_max_bytes is null or p_max_bytes not between 1 and 16777216 then
    raise exception 'chat: a chunk needs an offset >= 0, its text, its length and size as written, and a size limit of 1 to 16777216 bytes'
      using errcode = '22023';
  end if;
end $$;

-- ---------------------------------------------------------------------------------------------------------------
-- The reply functions (SECURITY INVOKER: RLS applies; the caller rule of chat_caller). Errors: 22023 invalid input,
-- PT404 not found (or another user's), PT409 offset conflict or an id stored as another message, 42501 not allowed.
-- Lock order (no deadlock): the session row, then the reply's advisory lock, then message rows. A flush takes only the
-- reply's advisory lock and its own rows, never the session.
-- ---------------------------------------------------------------------------------------------------------------

-- Begins a reply: an assistant message, empty, streaming, with a lease of p_lease_ms (5 s to 10 min). Idempotent by id: a
-- retried begin returns the reply as it reads now; the id stored as another message (or in another session) is PT409.
create or replace function public.chat_begin_reply(
  p_session_id uuid, p_id uuid, p_metadata jsonb default null, p_lease_ms int default 30000, p_user_id uuid default null)
returns table (id uuid, session_id uuid, seq bigint, role text, content text, metadata jsonb, created_at timestamptz,
               is_favorite boolean, status smallint, status_reason smallint, status_detail text, lease_expires_at timestamptz)
language plpgsql volatile security invoker set search_path = ''
as $$
#variable_conflict use_column
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
  v_open uuid[];
  v_stored public.chat_messages;
begin
  if p_id is null or p_lease_ms is null or p_lease_ms not between 5000 and 600000
     or (p_metadata is not null and pg_catalog.jsonb_typeof(p_metadata) <> 'object') then
    raise exception 'chat: a reply needs an id, a lease of 5000 to 600000 ms and metadata that is an object' using errcode = '22023';
  end if;
  select s.open_replies into v_open from public.chat_sessions s where s.id = p_session_id and s.user_id = v_user for update;
  if not found then
    raise exception 'chat: session % not found', p_session_id using errcode = 'PT404';
  end if;
  perform pg_catalog.set_config('chat.locked_session', p_session_id::text, true);
  -- Settle the session's earlier replies that have ended (or whose lease has expired) and are still in chunks: a writer
  -- that vanished leaves its reply to the next begin of the session. A reply whose flush is in flight is skipped.
  if v_open is not null then
    perform chat_private.chat_compact_reply(n.id, coalesce(n.status, 0::smallint), coalesce(n.status_reason, 0::smallint), n.status_detail, null, p_user_id)
       from pg_catalog.unnest(v_open) as r(id)
      cross join lateral chat_private.chat_message_now(r.id, v_user) n
      where r.id <> p_id and n.status is distinct from 1 and pg_catalog.pg_try_advisory_xact_lock(chat_private.chat_reply_key(r.id));
  end if;
  select * into v_stored from public.chat_messages c where c.id = p_id;
  if found then
    if v_stored.session_id <> p_session_id or v_stored.role <> 'assistant' then
      raise exception 'chat: message % is already stored with different data', p_id using errcode = 'PT409';
    end if;
  else
    if not chat_private.chat_write_reply('begin', p_id, p_user_id, p_session_id, p_metadata, p_lease_ms) then
      -- Stored meanwhile, or another user's (invisible under RLS).
      raise exception 'chat: message % is already stored with different data', p_id using errcode = 'PT409';
    end if;
  end if;
  return query select * from chat_private.chat_message_now(p_id, v_user);
end $$;

-- Stores a flush of a reply: p_text at p_offset (UTF-16 units as written), p_length and p_utf8_bytes its length and size
-- as written. Accepted at the stored end, or as an exact retry of stored text (nothing written); else PT409. Empty text is
-- a heartbeat (renews the lease). An ended reply, or one past its deadline, is reported in `status` with nothing written
-- (a flush never settles: that needs the session lock). A flush that would take the reply beyond p_max_bytes (or 16 MiB)
-- ends it as interrupted/too large, storing nothing of that flush. The session row is not touched.
create or replace function public.chat_grow_reply(
  p_message_id uuid, p_offset bigint, p_text text, p_length int, p_utf8_bytes int, p_max_bytes int, p_user_id uuid default null)
returns table (length bigint, lease_expires_at timestamptz, stop_requested boolean, status smallint, status_reason smallint)
language plpgsql volatile security invoker set search_path = ''
as $$
#variable_conflict use_column
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
  v_msg record;
  v_end bigint;
  v_last timestamptz;
  v_deadline timestamptz;
begin
  perform chat_private.chat_check_chunk(p_offset, p_text, p_length, p_utf8_bytes, p_max_bytes);
  perform pg_catalog.pg_advisory_xact_lock(chat_private.chat_reply_key(p_message_id));
  select c.content, c.status, c.status_reason, c.lease_ms, c.touched_at into v_msg
    from public.chat_messages c where c.id = p_message_id and c.user_id = v_user;
  if not found then
    raise exception 'chat: message % not found', p_message_id using errcode = 'PT404';
  end if;
  if v_msg.lease_ms is null then
    -- Compacted (or never a reply): ended as stored.
    return query select chat_private.chat_utf16_length(v_msg.content), pg_catalog.now(), false,
                        coalesce(v_msg.status, 0::smallint), coalesce(v_msg.status_reason, 0::smallint);
    return;
  end if;
  select k.start_offset + k.length, k.written_at into v_end, v_last from chat_private.chat_reply_chunks k
   where k.message_id = p_message_id order by k.start_offset desc limit 1;
  v_end := coalesce(v_end, 0);
  if v_msg.status is distinct from 1 then
    return query select v_end, pg_catalog.now(), false, coalesce(v_msg.status, 0::smallint), coalesce(v_msg.status_reason, 0::smallint);
    return;
  end if;
  v_deadline := case when v_msg.status_reason = 1
                     then least(greatest(v_msg.touched_at, v_last) + v_msg.lease_ms * interval '1 millisecond', v_msg.touched_at + interval '5 seconds')
                     else greatest(v_msg.touched_at, v_last) + v_msg.lease_ms * interval '1 millisecond' end;
  if v_deadline <= pg_catalog.now() then
    return query select v_end, v_deadline, coalesce(v_msg.status_reason = 1, false),
                        (case when v_msg.status_reason = 1 then 2 else 3 end)::smallint, (case when v_msg.status_reason = 1 then 1 else 4 end)::smallint;
    return;
  end if;
  if p_length = 0 then
    if v_msg.status_reason is null then
      perform chat_private.chat_write_reply('heartbeat', p_message_id, p_user_id);
      v_deadline := greatest(pg_catalog.now(), v_last) + v_msg.lease_ms * interval '1 millisecond';
    end if;
  elsif chat_private.chat_check_offset(p_message_id, v_end, p_offset, p_text, p_length) = 'append' then
    if coalesce((select sum(k.utf8_bytes) from chat_private.chat_reply_chunks k where k.message_id = p_message_id), 0) + p_utf8_bytes
       > least(p_max_bytes, 16777216) then
      perform chat_private.chat_write_reply('too_large', p_message_id, p_user_id,
                                            p_detail => pg_catalog.format('The reply reached %s UTF-8 bytes.', least(p_max_bytes, 16777216)));
      return query select v_end, pg_catalog.now(), false, 3::smallint, 5::smallint;
      return;
    end if;
    insert into chat_private.chat_reply_chunks (message_id, start_offset, length, utf8_bytes, user_id, text)
    values (p_message_id, p_offset, p_length, p_utf8_bytes, v_user, p_text);
    v_end := p_offset + p_length;
    v_deadline := case when v_msg.status_reason = 1
                       then least(pg_catalog.now() + v_msg.lease_ms * interval '1 millisecond', v_msg.touched_at + interval '5 seconds')
                       else pg_catalog.now() + v_msg.lease_ms * interval '1 millisecond' end;
  end if;
  return query select v_end, v_deadline, coalesce(v_msg.status_reason = 1, false), 1::smallint, null::smallint;
end $$;

-- Ends a reply: stores the tail (same offset rule), the final status (0 complete, 2 stopped, 3 interrupted), reason, detail
-- and metadata (null keeps the begin's), and compacts it, in one call. The first end wins: a reply that has ended (stored,
-- or read as ended because its lease expired) is settled as it reads, if it is not yet, and returned; its tail is not stored.
create or replace function public.chat_finish_reply(
  p_message_id uuid, p_offset bigint, p_text text, p_length int, p_utf8_bytes int, p_max_bytes int,
  p_status smallint, p_reason smallint default null, p_detail text default null, p_metadata jsonb default null,
  p_user_id uuid default null)
returns table (id uuid, session_id uuid, seq bigint, role text, content text, metadata jsonb, created_at timestamptz,
               is_favorite boolean, status smallint, status_reason smallint, status_detail text, lease_expires_at timestamptz)
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
            return query select * from chat_private.chat_message_now(p_message_id, v_user);
            return;
          end if;
          insert into chat_private.chat_reply_chunks (message_id, start_offset, length, utf8_bytes, user_id, text)
          values (p_message_id, p_offset, p_length, p_utf8_bytes, v_user, p_text);
        end if;
      end if;
      perform chat_private.chat_compact_reply(p_message_id, p_status, coalesce(p_reason, 0::smallint), p_detail, p_metadata, p_user_id);
    end if;
  end if;
  return query select * from chat_private.chat_message_now(p_message_id, v_user);
end $$;

-- Asks a streaming reply to stop (from any instance or device): records the request and its time, which caps the lease
-- at 5 s from now. The writer learns it from its next flush. A reply that has ended, or was asked already, is returned as is.
create or replace function public.chat_stop_reply(p_message_id uuid, p_user_id uuid default null)
returns table (id uuid, session_id uuid, seq bigint, role text, content text, metadata jsonb, created_at timestamptz,
               is_favorite boolean, status smallint, status_reason smallint, status_detail text, lease_expires_at timestamptz)
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
  return query select * from chat_private.chat_message_now(p_message_id, v_user);
end $$;

-- A reply's stored text from the chunk holding p_offset (or, once compacted, the whole content from offset 0: the SDK cuts
-- it at the offset), its length as written and its status as it reads now.
create or replace function public.chat_read_reply(p_message_id uuid, p_offset bigint default 0, p_user_id uuid default null)
returns table (start_offset bigint, text text, length bigint, status smallint, status_reason smallint, lease_expires_at timestamptz)
language plpgsql stable security invoker set search_path = ''
as $$
#variable_conflict use_column
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
  v_msg record;
  v_now record;
  v_start bigint;
begin
  if p_offset is null or p_offset < 0 then
    raise exception 'chat: p_offset must not be negative' using errcode = '22023';
  end if;
  select c.content, c.lease_ms into v_msg from public.chat_messages c where c.id = p_message_id and c.user_id = v_user;
  if not found then
    raise exception 'chat: message % not found', p_message_id using errcode = 'PT404';
  end if;
  if v_msg.lease_ms is null then
    select * into v_now from chat_private.chat_message_now(p_message_id, v_user);
    return query select 0::bigint, v_msg.content, chat_private.chat_utf16_length(v_msg.content),
                        coalesce(v_now.status, 0::smallint), coalesce(v_now.status_reason, 0::smallint), null::timestamptz;
    return;
  end if;
  select k.start_offset into v_start from chat_private.chat_reply_chunks k
   where k.message_id = p_message_id and k.start_offset <= p_offset order by k.start_offset desc limit 1;
  v_start := coalesce(v_start, 0);
  select * into v_now from chat_private.chat_message_now(p_message_id, v_user);
  return query
    select v_start,
           coalesce((select pg_catalog.string_agg(k.text, '' order by k.start_offset) from chat_private.chat_reply_chunks k
                      where k.message_id = p_message_id and k.start_offset >= v_start), ''),
           coalesce((select k.start_offset + k.length from chat_private.chat_reply_chunks k
                      where k.message_id = p_message_id order by k.start_offset desc limit 1), 0),
           coalesce(v_now.status, 0::smallint), coalesce(v_now.status_reason, 0::smallint), v_now.lease_expires_at;
end $$;

-- ---------------------------------------------------------------------------------------------------------------
-- Existing functions that learn about replies.
-- ---------------------------------------------------------------------------------------------------------------

-- A page of history: as before, plus the reply columns. Ordinary rows (lease_ms null) pay a few comparisons; only a row
-- whose text is still in chunks reads them (its PK range) and computes its deadline: `offset 0` keeps the lateral
-- subquery whole, so its condition is a one-time filter (the function runs for those rows only, not a join filter after it).
-- The return type changes, so the signature does too (the earlier migration, applied again, recreates the five-argument
-- function with its own return type; a new signature lets it, and this file then drops it again, so that a call naming the
-- five arguments is never ambiguous over PostgREST). The two new arguments are the design's (§4.1: the message tree, issue
-- 27); this version accepts only their defaults.
drop function if exists public.chat_read_messages(uuid, int, boolean, bigint, uuid);
create or replace function public.chat_read_messages(
  p_session_id uuid, p_limit int, p_older boolean default true, p_boundary bigint default null, p_user_id uuid default null,
  p_leaf_id uuid default null, p_all_branches boolean default false)
returns table (id uuid, session_id uuid, seq bigint, role text, content text, metadata jsonb, created_at timestamptz,
               is_favorite boolean, beyond boolean, status smallint, status_reason smallint, status_detail text,
               lease_expires_at timestamptz)
language plpgsql stable security invoker set search_path = '' set plan_cache_mode = force_generic_plan
as $$
#variable_conflict use_column
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
begin
  perform chat_private.chat_check_limit(p_limit, 1000);
  if p_leaf_id is not null or coalesce(p_all_branches, false) then
    raise exception 'chat: p_leaf_id and p_all_branches need the message tree (a later schema version)' using errcode = '22023';
  end if;
  if coalesce(p_older, false) then
    return query
      select c.id, c.session_id, c.seq, c.role,
             case when c.lease_ms is null then c.content else r.content end, c.metadata, c.created_at, c.is_favorite,
             -- max() on (session_id, seq) reads one index entry, whatever the session's size.
             p_boundary is not null and coalesce((select max(x.seq) from public.chat_messages x where x.session_id = p_session_id) >= p_boundary, false),
             case when c.lease_ms is null then c.status else r.status end,
             case when c.lease_ms is null then c.status_reason else r.status_reason end,
             case when c.lease_ms is null then c.status_detail else r.status_detail end,
             case when c.lease_ms is null then null::timestamptz else r.lease_expires_at end
        from public.chat_messages c
        left join lateral (select * from chat_private.chat_message_now(c.id, c.user_id) n where c.lease_ms is not null offset 0) r on true
       where c.session_id = p_session_id and c.seq < coalesce(p_boundary, 9223372036854775807)
         and exists (select from public.chat_sessions s where s.id = p_session_id and s.user_id = v_user)
       order by c.seq desc
       limit p_limit;
  else
    return query
      select c.id, c.session_id, c.seq, c.role,
             case when c.lease_ms is null then c.content else r.content end, c.metadata, c.created_at, c.is_favorite,
             p_boundary is not null and coalesce((select min(x.seq) from public.chat_messages x where x.session_id = p_session_id) <= p_boundary, false),
             case when c.lease_ms is null then c.status else r.status end,
             case when c.lease_ms is null then c.status_reason else r.status_reason end,
             case when c.lease_ms is null then c.status_detail else r.status_detail end,
             case when c.lease_ms is null then null::timestamptz else r.lease_expires_at end
        from public.chat_messages c
        left join lateral (select * from chat_private.chat_message_now(c.id, c.user_id) n where c.lease_ms is not null offset 0) r on true
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
                                                  else (select min(x.seq) from public.chat_messages x where x.session_id = p_session_id) <= p_boundary end, false),
           null::smallint, null::smallint, null::text, null::timestamptz;
end $$;

-- Clear: as before, and first waits for the in-flight flushes of the session's open replies (their advisory locks, in id
-- order); their chunks go with the messages (chat_messages_reply_deleted). A writer's next flush finds nothing (PT404).
create or replace function public.chat_clear_session(p_session_id uuid, p_user_id uuid default null)
returns bigint
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
  v_open uuid[];
  v_deleted bigint;
begin
  select s.open_replies into v_open from public.chat_sessions s where s.id = p_session_id and s.user_id = v_user for update;
  if not found then
    raise exception 'chat: session % not found', p_session_id using errcode = 'PT404';
  end if;
  if v_open is not null then
    perform pg_catalog.pg_advisory_xact_lock(chat_private.chat_reply_key(r.id)) from pg_catalog.unnest(v_open) as r(id) order by r.id;
  end if;
  delete from public.chat_messages c where c.session_id = p_session_id and c.user_id = v_user;
  get diagnostics v_deleted = row_count;
  return v_deleted;
end $$;

-- Delete: as before, after the in-flight flushes of the session's open replies.
create or replace function public.chat_delete_session(p_session_id uuid, p_user_id uuid default null)
returns boolean
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_user uuid := chat_private.chat_caller(p_user_id);
  v_open uuid[];
begin
  select s.open_replies into v_open from public.chat_sessions s where s.id = p_session_id and s.user_id = v_user for update;
  if v_open is not null then
    perform pg_catalog.pg_advisory_xact_lock(chat_private.chat_reply_key(r.id)) from pg_catalog.unnest(v_open) as r(id) order by r.id;
  end if;
  delete from public.chat_sessions s where s.id = p_session_id and s.user_id = v_user;
  return found;
end $$;

-- Retention: as before, but a session with a reply still streaming within its lease is skipped (open_replies is null on
-- every other session: one comparison).
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
                     and (i.open_replies is null or not chat_private.chat_has_live_reply(i.open_replies))
                   order by i.active_on, i.updated_at, i.id
                   limit p_max_sessions
                   for update skip locked);
  get diagnostics v_deleted = row_count;
  return v_deleted;
end $$;

-- Grants: as for the other functions. The public reply functions to authenticated and service_role; the helpers they call
-- too (in chat_private, not exposed); nothing for anon.
revoke all on function
  chat_private.chat_reply_key(uuid), chat_private.chat_utf16_length(text),
  chat_private.chat_reply_deadline(uuid, smallint, int, timestamptz), chat_private.chat_message_now(uuid, uuid),
  chat_private.chat_has_live_reply(uuid[]), chat_private.chat_compact_reply(uuid, smallint, smallint, text, jsonb, uuid),
  chat_private.chat_write_reply(text, uuid, uuid, uuid, jsonb, int, text),
  chat_private.chat_check_offset(uuid, bigint, bigint, text, int), chat_private.chat_check_chunk(bigint, text, int, int, int),
  public.chat_begin_reply(uuid, uuid, jsonb, int, uuid), public.chat_grow_reply(uuid, bigint, text, int, int, int, uuid),
  public.chat_finish_reply(uuid, bigint, text, int, int, int, smallint, smallint, text, jsonb, uuid),
  public.chat_stop_reply(uuid, uuid), public.chat_read_reply(uuid, bigint, uuid),
  public.chat_read_messages(uuid, int, boolean, bigint, uuid, uuid, boolean), public.chat_clear_session(uuid, uuid),
  public.chat_delete_session(uuid, uuid), public.chat_delete_idle_sessions(timestamptz, int)
  from public, anon, authenticated, service_role;
grant execute on function
  chat_private.chat_reply_key(uuid), chat_private.chat_utf16_length(text),
  chat_private.chat_reply_deadline(uuid, smallint, int, timestamptz), chat_private.chat_message_now(uuid, uuid),
  chat_private.chat_has_live_reply(uuid[]), chat_private.chat_compact_reply(uuid, smallint, smallint, text, jsonb, uuid),
  chat_private.chat_write_reply(text, uuid, uuid, uuid, jsonb, int, text),
  chat_private.chat_check_offset(uuid, bigint, bigint, text, int), chat_private.chat_check_chunk(bigint, text, int, int, int),
  public.chat_begin_reply(uuid, uuid, jsonb, int, uuid), public.chat_grow_reply(uuid, bigint, text, int, int, int, uuid),
  public.chat_finish_reply(uuid, bigint, text, int, int, int, smallint, smallint, text, jsonb, uuid),
  public.chat_stop_reply(uuid, uuid), public.chat_read_reply(uuid, bigint, uuid),
  public.chat_read_messages(uuid, int, boolean, bigint, uuid, uuid, boolean), public.chat_clear_session(uuid, uuid),
  public.chat_delete_session(uuid, uuid)
  to authenticated, service_role;
grant execute on function public.chat_delete_idle_sessions(timestamptz, int) to service_role;

-- ---------------------------------------------------------------------------------------------------------------
-- The change feed's reply kinds (ChatChangeKind): 7 a reply ended (with its final status: 0 complete, 2 stopped,
-- 3 interrupted), 9 a stop was requested — both logged by triggers like kinds 1 to 5, whatever path the write takes.
-- A reply's growth (6) is not logged (no log row, no WAL per flush): each flush's chunk insert wakes listeners with an
-- empty notification on the channel chat_replies, and a listener reads the lengths of the streaming replies of the users
-- it watches (at most every 100 ms), the way it reads the log: a notification is a wake-up only, never data.
-- ---------------------------------------------------------------------------------------------------------------

alter table chat_private.chat_changes add column if not exists reply_status smallint;
alter table chat_private.chat_changes drop constraint if exists chat_changes_kind_check;
alter table chat_private.chat_changes add constraint chat_changes_kind_check check (kind between 1 and 9) not valid;

-- The triggers' function of the change feed (replaces version 2's): kinds 7 and 9 fire on chat_messages.
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
  else
    v_user := new.user_id; v_session := new.id;
    if v_kind = 1 then
      -- One change per append call (the call bumps message_count once): the session's newest sequence, one index probe.
      select max(c.seq) into v_seq from public.chat_messages c where c.session_id = new.id;
    end if;
  end if;
  insert into chat_private.chat_changes (kind, user_id, session_id, seq, message_id, is_favorite, reply_status)
  values (v_kind, v_user, v_session, v_seq, v_message, v_favorite, v_status);
  -- No payload: the listener reads the log. PostgreSQL folds identical notifications of one transaction into one.
  perform pg_catalog.pg_notify('chat_changes', '');
  return null;
end $$;

-- Wakes listeners after a flush stored text (once per statement; folded per transaction). No WAL, no row.
create or replace function chat_private.chat_reply_grew()
returns trigger
language plpgsql volatile security invoker set search_path = ''
as $$
begin
  perform pg_catalog.pg_notify('chat_replies', '');
  return null;
end $$;

revoke all on function chat_private.chat_record_change(), chat_private.chat_reply_grew()
  from public, anon, authenticated, service_role;

-- A reply ends when its status leaves 1 (streaming): compaction (complete: null; stopped or interrupted: 2 or 3), or
-- 'too_large'. A stop request sets the reason to 1 while it streams.
create or replace trigger chat_messages_reply_ended
  after update of status on public.chat_messages
  for each row when (old.status = 1 and new.status is distinct from 1) execute function chat_private.chat_record_change('7');
create or replace trigger chat_messages_reply_stop_requested
  after update of status_reason on public.chat_messages
  for each row when (new.status = 1 and new.status_reason = 1 and old.status_reason is distinct from 1)
  execute function chat_private.chat_record_change('9');
create or replace trigger chat_reply_chunks_grew
  after insert on chat_private.chat_reply_chunks
  for each statement execute function chat_private.chat_reply_grew();

notify pgrst, 'reload schema';

commit;
