-- Row Level Security checks for ChatPersistence.Sdk, in pgTAP. Run them in your own Supabase project with
-- `supabase test db` (the file lives in supabase/tests/), or with pg_prove / psql against any database where the
-- migration is applied. Everything runs in one transaction that is rolled back: nothing is left behind.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(25);

-- Two users; A has a session with one message. Created as the owner (RLS does not apply to it).
insert into auth.users (id, email) values
  ('aaaaaaaa-1111-4111-8111-111111111111', 'a@example.test'),
  ('bbbbbbbb-2222-4222-8222-222222222222', 'b@example.test');
select public.chat_get_or_create_session('rls-test', 'A''s chat', 'aaaaaaaa-1111-4111-8111-111111111111');
select public.chat_append_messages(
  (select id from public.chat_sessions where workflow_id = 'rls-test' and user_id = 'aaaaaaaa-1111-4111-8111-111111111111'),
  '[{"id":"cccccccc-3333-4333-8333-333333333333","role":"user","content":"segredo da Alice"}]',
  'aaaaaaaa-1111-4111-8111-111111111111');

select ok((select relrowsecurity from pg_class where oid = 'public.chat_sessions'::regclass), 'RLS is enabled on chat_sessions');
select ok((select relrowsecurity from pg_class where oid = 'public.chat_messages'::regclass), 'RLS is enabled on chat_messages');
select policies_are('public', 'chat_messages', array['chat_messages_select', 'chat_messages_insert', 'chat_messages_update', 'chat_messages_delete'], 'chat_messages has one policy per command');

-- As user B, exactly as PostgREST runs B's request.
set local role authenticated;
select set_config('request.jwt.claims', '{"sub":"bbbbbbbb-2222-4222-8222-222222222222","role":"authenticated"}', true);
select is_empty($$ select * from public.chat_sessions $$, 'B sees none of A''s sessions');
select is_empty($$ select * from public.chat_messages $$, 'B sees none of A''s messages');
select is_empty($$ select * from public.chat_search('segredo', 10) $$, 'B''s search finds nothing of A''s');
select is_empty($$ update public.chat_sessions set title = 'hacked' returning id $$, 'B cannot rename A''s session');
select is_empty($$ update public.chat_messages set is_favorite = true returning id $$, 'B cannot favourite A''s message');
select is_empty($$ delete from public.chat_messages returning id $$, 'B cannot delete A''s messages');
select is_empty($$ delete from public.chat_sessions returning id $$, 'B cannot delete A''s session');
select throws_ok($$ select public.chat_set_favorite('cccccccc-3333-4333-8333-333333333333', true) $$, 'PT404', null, 'the favourite function does not find A''s message for B');
select throws_ok($$ select public.chat_get_session(gen_random_uuid(), 'aaaaaaaa-1111-4111-8111-111111111111') $$, '42501', null, 'B cannot act for A''s user id');
select throws_ok($$ insert into public.chat_sessions (user_id, workflow_id) values ('aaaaaaaa-1111-4111-8111-111111111111', 'x') $$, '42501', null, 'B cannot create a session owned by A');
select throws_ok($$ select public.chat_delete_idle_sessions(now(), 10) $$, '42501', null, 'B cannot run retention');
select throws_ok($$ select id from chat_private.chat_search('segredo', 10, 0, null, 'aaaaaaaa-1111-4111-8111-111111111111') $$, '42501', null, 'B cannot search A''s messages by naming A, not even through the private search');
select throws_ok($$ truncate public.chat_messages $$, '42501', null, 'B cannot truncate the messages (TRUNCATE ignores RLS)');
select throws_ok($$ create trigger chat_intruder before insert on public.chat_messages for each row execute function suppress_redundant_updates_trigger() $$, '42501', null, 'B cannot add a trigger to the messages table');
select throws_ok($$ select setval(pg_get_serial_sequence('public.chat_messages', 'seq'), 1) $$, '42501', null, 'B cannot reset the message sequence');

-- As A.
select set_config('request.jwt.claims', '{"sub":"aaaaaaaa-1111-4111-8111-111111111111","role":"authenticated"}', true);
select is((select count(*) from public.chat_messages)::int, 1, 'A sees A''s message');
select is((select count(*) from public.chat_search('segredo', 10))::int, 1, 'A finds A''s message');
select throws_ok($$ update public.chat_messages set content = 'forged' $$, '42501', null, 'A cannot rewrite a stored message');

-- As anon.
reset role;
set local role anon;
select set_config('request.jwt.claims', '{"role":"anon"}', true);
select throws_ok($$ select * from public.chat_sessions $$, '42501', null, 'anon cannot read sessions');
select throws_ok($$ select public.chat_list_sessions(10) $$, '42501', null, 'anon cannot call the functions');
select throws_ok($$ truncate public.chat_sessions cascade $$, '42501', null, 'anon cannot truncate the sessions');

-- As the service role.
reset role;
set local role service_role;
select is((select count(*) from public.chat_messages where user_id = 'aaaaaaaa-1111-4111-8111-111111111111')::int, 1, 'the service role sees every user''s data');

select * from finish();
rollback;
