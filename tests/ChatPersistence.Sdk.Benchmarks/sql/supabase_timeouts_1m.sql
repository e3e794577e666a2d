-- How long retention batches and searches take on 1M messages, measured against Supabase's 8 s statement timeout for
-- `authenticated` / `authenticator`. Run with psql (\timing on) as the database owner on a database prepared with
-- tests/ChatPersistence.Sdk.PostgresTesting/supabase_auth_shim.sql and the migration applied; docs/supabase.md has the
-- figures and the command. 1,000 users x 5 sessions x 200 messages; every message holds the word "common", one in
-- 10,000 the word "rare".
\timing on
insert into auth.users (id) select ('aaaaaaaa-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid from generate_series(1, 1000) i;
insert into public.chat_sessions (user_id, workflow_id, created_at, updated_at)
  select ('aaaaaaaa-0000-4000-8000-' || lpad(to_hex(1 + i % 1000), 12, '0'))::uuid, 'w' || i,
         now() - interval '200 days', now() - interval '200 days' + (i || ' seconds')::interval
    from generate_series(0, 4999) i;
insert into public.chat_messages (id, session_id, user_id, role, content, created_at)
  select gen_random_uuid(), s.id, s.user_id, case when g % 2 = 0 then 'user' else 'assistant' end,
         'message ' || g || ' with a common word' || case when (hashtext(s.id::text) + g) % 10000 = 0 then ' and a rare one' else '' end,
         s.updated_at - ((200 - g) || ' seconds')::interval
    from public.chat_sessions s, generate_series(1, 200) g;
analyze public.chat_sessions;
analyze public.chat_messages;
select count(*) as messages from public.chat_messages;

-- Search as a signed-in user, as PostgREST runs it (statement_timeout 8 s from the role's settings).
begin;
set local role authenticated;
set local statement_timeout = '8s';
select set_config('request.jwt.claims', '{"sub":"aaaaaaaa-0000-4000-8000-000000000001","role":"authenticated"}', true);
select count(*) as rare_hits from public.chat_search('rare', 21);
select count(*) as common_hits from public.chat_search('common', 21);
select count(*) as common_hits_page_10 from public.chat_search('common', 21, 200);
select count(*) as prefix_hits from public.chat_search('mess*', 21);
commit;

-- Retention as the service role (authenticator's 8 s statement timeout): the default batch of 500 idle sessions
-- (100,000 messages), then the largest allowed batch (10,000 sessions: here the remaining 4,500, 900,000 messages).
begin;
set local role service_role;
set local statement_timeout = '8s';
select public.chat_delete_idle_sessions(now() - interval '90 days', 500) as deleted_default_batch;
commit;
begin;
set local role service_role;
set local statement_timeout = '8s';
select public.chat_delete_idle_sessions(now() - interval '90 days', 10000) as deleted_max_batch;
rollback;
