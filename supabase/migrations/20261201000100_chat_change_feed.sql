-- ChatPersistence.Sdk — PostgreSQL / Supabase schema, version 2: the change feed.
-- Idempotent: applying it again is a no-op. Runs as the database owner after 0001_chat_persistence.sql.
--
-- Every change a host may want to show live on another device or server instance (messages appended, a session cleared,
-- deleted or renamed, a favourite set) is logged in chat_private.chat_changes by triggers, whoever made it (the SQL
-- functions, PostgREST, retention, a cascade from auth.users), and announced with an empty pg_notify on the channel
-- `chat_changes` (kind: 1 messages appended, 2 session cleared, 3 session deleted, 4 session renamed, 5 favourite set).
-- The notification is a wake-up only, with no payload: PostgreSQL has no privilege for NOTIFY or LISTEN, so any role that
-- can log in could read a payload (whose data changed) or forge one. A listener reads what changed from the log, by
-- transaction (the entries of the transactions its previous read did not see, see PostgresChatChangeFeed), which also
-- catches it up after a lost connection; a watcher resumes after a position. The log lives in chat_private: no API role
-- can read it; only the owner and service_role (the feed's connection) do. Old entries are removed by chat_prune_changes().

begin;

create table if not exists chat_private.chat_changes (
  position    bigint      generated always as identity primary key,
  -- The writing transaction: catch-up after a reconnection reads every change of the transactions that were not yet
  -- finished when the listener last knew it had everything (a position alone cannot say that: positions are drawn
  -- before commit, so a smaller one may commit later).
  xid         xid8        not null default pg_catalog.pg_current_xact_id(),
  kind        smallint    not null,
  user_id     uuid        not null,
  session_id  uuid        not null,
  seq         bigint,
  message_id  uuid,
  is_favorite boolean,
  created_at  timestamptz not null default pg_catalog.now(),
  constraint chat_changes_kind_check check (kind between 1 and 5)
);

-- Catch-up by transaction, resume per user, and pruning by age (BRIN: the log is appended in time order, so the index
-- is a few pages and costs nearly nothing to maintain).
create index if not exists chat_changes_xid_idx on chat_private.chat_changes (xid);
create index if not exists chat_changes_user_position_idx on chat_private.chat_changes (user_id, position);
create index if not exists chat_changes_created_idx on chat_private.chat_changes using brin (created_at);

-- No API role reads or writes the log directly (the triggers write it as its owner); RLS on with no policy for anyone else.
alter table chat_private.chat_changes enable row level security;
revoke all on chat_private.chat_changes from public, anon, authenticated, service_role;
grant select, delete on chat_private.chat_changes to service_role;
do $$
begin
  execute format('revoke all on sequence %s from public, anon, authenticated, service_role',
                 pg_catalog.pg_get_serial_sequence('chat_private.chat_changes', 'position'));
end $$;

-- The triggers' function: logs one change and wakes listeners (delivered at commit, only if the transaction commits).
-- SECURITY DEFINER so that a signed-in user's write (RLS, no rights on chat_private's log) is logged too; it is not
-- callable as an RPC (chat_private is not exposed, and no API role has EXECUTE), takes no input but the row the trigger
-- fired for, and reads only the row's own session. TG_ARGV[0] is the kind. One function, no nested call: it runs on
-- every append, and each PL/pgSQL call with a pinned search_path costs a few microseconds of its own.
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
begin
  if v_kind = 5 then
    v_user := new.user_id; v_session := new.session_id; v_seq := new.seq; v_message := new.id; v_favorite := new.is_favorite;
  elsif v_kind = 3 then
    v_user := old.user_id; v_session := old.id;
  else
    v_user := new.user_id; v_session := new.id;
    if v_kind = 1 then
      -- One change per append call (the call bumps message_count once): the session's newest sequence, one index probe.
      select max(c.seq) into v_seq from public.chat_messages c where c.session_id = new.id;
    end if;
  end if;
  insert into chat_private.chat_changes (kind, user_id, session_id, seq, message_id, is_favorite)
  values (v_kind, v_user, v_session, v_seq, v_message, v_favorite);
  -- No payload: the listener reads the log. PostgreSQL folds identical notifications of one transaction into one.
  perform pg_catalog.pg_notify('chat_changes', '');
  return null;
end $$;

-- Earlier development builds logged through a second function.
drop function if exists chat_private.chat_log_change(smallint, uuid, uuid, bigint, uuid, boolean);

-- Appends set message_count to a larger value; a clear sets it to 0 (an append always leaves at least one message).
create or replace trigger chat_sessions_messages_appended
  after update of message_count on public.chat_sessions
  for each row when (new.message_count > old.message_count) execute function chat_private.chat_record_change('1');
create or replace trigger chat_sessions_cleared
  after update of message_count on public.chat_sessions
  for each row when (new.message_count = 0) execute function chat_private.chat_record_change('2');
create or replace trigger chat_sessions_deleted
  after delete on public.chat_sessions
  for each row execute function chat_private.chat_record_change('3');
create or replace trigger chat_sessions_renamed
  after update of title on public.chat_sessions
  for each row execute function chat_private.chat_record_change('4');
create or replace trigger chat_messages_favorite_set
  after update of is_favorite on public.chat_messages
  for each row when (old.is_favorite is distinct from new.is_favorite) execute function chat_private.chat_record_change('5');

-- Removes log entries older than p_keep (the feed's connection calls it now and then); returns how many.
create or replace function chat_private.chat_prune_changes(p_keep interval)
returns bigint
language plpgsql volatile security invoker set search_path = ''
as $$
declare
  v_deleted bigint;
begin
  if p_keep is null or p_keep < interval '1 minute' then
    raise exception 'chat: p_keep must be at least one minute' using errcode = '22023';
  end if;
  delete from chat_private.chat_changes c where c.created_at < pg_catalog.now() - p_keep;
  get diagnostics v_deleted = row_count;
  return v_deleted;
end $$;

revoke all on function
  chat_private.chat_record_change(),
  chat_private.chat_prune_changes(interval)
  from public, anon, authenticated, service_role;
grant execute on function chat_private.chat_prune_changes(interval) to service_role;

commit;
