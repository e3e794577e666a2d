-- Row Level Security checks for ChatPersistence.Sdk, in pgTAP. Run them in your own Supabase project with
-- `supabase test db` (the file lives in supabase/tests/), or with pg_prove / psql against any database where the
-- migration is applied. Everything runs in one transaction that is rolled back: nothing is left behind.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = extensions, public;
select plan(54);

-- Two users; A has a session with one message. Created as the owner (RLS does not apply to it).
insert into auth.users (id, email) values
  ('aaaaaaaa-1111-4111-8111-111111111111', 'a@example.test'),
  ('bbbbbbbb-2222-4222-8222-222222222222', 'b@example.test');
select public.chat_get_or_create_session('rls-test', 'A''s chat', 'aaaaaaaa-1111-4111-8111-111111111111');
select public.chat_append_messages(
  (select id from public.chat_sessions where workflow_id = 'rls-test' and user_id = 'aaaaaaaa-1111-4111-8111-111111111111'),
  '[{"id":"cccccccc-3333-4333-8333-333333333333","role":"user","content":"segredo da Alice"}]',
  'aaaaaaaa-1111-4111-8111-111111111111');
-- A's reply in progress (issue 26), with one flush stored.
select public.chat_begin_reply(
  (select id from public.chat_sessions where workflow_id = 'rls-test' and user_id = 'aaaaaaaa-1111-4111-8111-111111111111'),
  'eeeeeeee-5555-4555-8555-555555555555', null, 30000, 'aaaaaaaa-1111-4111-8111-111111111111');
select public.chat_grow_reply('eeeeeeee-5555-4555-8555-555555555555', 0, 'rascunho', 8, 8, 1000, 'aaaaaaaa-1111-4111-8111-111111111111');
select set_config('test.a_session', (select id::text from public.chat_sessions where workflow_id = 'rls-test'), true);

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
select throws_ok($$ select id from chat_private.chat_search_hits('segredo', 10, 0, null, 'aaaaaaaa-1111-4111-8111-111111111111') $$, '42501', null, 'B cannot search A''s messages by naming A, not even through the private search');
select throws_ok($$ truncate public.chat_messages $$, '42501', null, 'B cannot truncate the messages (TRUNCATE ignores RLS)');
select throws_ok($$ create trigger chat_intruder before insert on public.chat_messages for each row execute function suppress_redundant_updates_trigger() $$, '42501', null, 'B cannot add a trigger to the messages table');
select throws_ok($$ select setval(pg_get_serial_sequence('public.chat_messages', 'seq'), 1) $$, '42501', null, 'B cannot reset the message sequence');
-- B and A's reply in progress: not found by any reply function, its chunks invisible, its state not B's to write.
select throws_ok($$ select public.chat_grow_reply('eeeeeeee-5555-4555-8555-555555555555', 8, ' de B', 5, 5, 1000) $$, 'PT404', null, 'B cannot grow A''s reply');
select throws_ok($$ select public.chat_finish_reply('eeeeeeee-5555-4555-8555-555555555555', 0, '', 0, 0, 1000, 0::smallint) $$, 'PT404', null, 'B cannot finish A''s reply');
select throws_ok($$ select public.chat_stop_reply('eeeeeeee-5555-4555-8555-555555555555') $$, 'PT404', null, 'B cannot stop A''s reply');
select throws_ok($$ select public.chat_read_reply('eeeeeeee-5555-4555-8555-555555555555') $$, 'PT404', null, 'B cannot read A''s reply');
select throws_ok($$ select public.chat_begin_reply(current_setting('test.a_session')::uuid, gen_random_uuid()) $$, 'PT404', null, 'B cannot begin a reply in a session B cannot see');
select is_empty($$ select * from chat_private.chat_reply_chunks $$, 'B sees none of A''s chunks');
select ok(not chat_private.chat_write_reply('stop', 'eeeeeeee-5555-4555-8555-555555555555', null), 'the private write helper finds nothing of A''s for B');
select throws_ok($$ select chat_private.chat_write_reply('stop', 'eeeeeeee-5555-4555-8555-555555555555', 'aaaaaaaa-1111-4111-8111-111111111111') $$, '42501', null, 'B cannot write A''s reply by naming A');

-- As A.
select set_config('request.jwt.claims', '{"sub":"aaaaaaaa-1111-4111-8111-111111111111","role":"authenticated"}', true);
select is((select count(*) from public.chat_messages)::int, 2, 'A sees A''s message and reply');
select is((select count(*) from public.chat_search('segredo', 10))::int, 1, 'A finds A''s message');
select throws_ok($$ update public.chat_messages set content = 'forged' $$, '42501', null, 'A cannot rewrite a stored message');
select throws_ok($$ update public.chat_messages set status = 2, status_reason = 2 where id = 'eeeeeeee-5555-4555-8555-555555555555' $$, '42501', null, 'A cannot write a reply''s state but through the functions');
select is((select text from public.chat_read_reply('eeeeeeee-5555-4555-8555-555555555555')), 'rascunho', 'A reads A''s reply in progress');
select is((select status from public.chat_read_messages((select id from public.chat_sessions), 10) where id = 'eeeeeeee-5555-4555-8555-555555555555'), 1::smallint, 'the history shows it streaming');
select is_empty($$ select * from public.chat_search('rascunho', 10) $$, 'streaming text is not searchable');
select is((select content from public.chat_finish_reply('eeeeeeee-5555-4555-8555-555555555555', 8, '!', 1, 1, 1000, 0::smallint)), 'rascunho!', 'A finishes A''s reply');
select is((select count(*) from public.chat_search('rascunho', 10))::int, 1, 'a finished reply is searchable');
-- The columns the database maintains are not A's to write (issue 25); a rename is.
select throws_ok($$ update public.chat_sessions set updated_at = 'infinity' $$, '42501', null, 'A cannot set updated_at (retention would never remove the session)');
select throws_ok($$ update public.chat_sessions set message_count = 0 $$, '42501', null, 'A cannot set message_count');
select throws_ok($$ update public.chat_sessions set workflow_id = 'moved' $$, '42501', null, 'A cannot move a session to another workflow');
select throws_ok($$ insert into public.chat_messages (session_id, role, content, is_favorite) select id, 'user', 'x', true from public.chat_sessions $$, '42501', null, 'A cannot insert a message already favourite');
select lives_ok($$ update public.chat_sessions set title = 'renamed' $$, 'A can rename A''s session');
-- A direct insert (the original plan's saveMessage: no id, no user_id) is an append: same count, time and checks.
select lives_ok($$ insert into public.chat_messages (session_id, role, content) select id, 'assistant', 'resposta direta' from public.chat_sessions $$, 'A can insert a message without id and user_id');
select is((select message_count from public.chat_sessions)::int, 3, 'a direct insert bumps the session''s count (question, reply, this)');
select ok((select s.last_message_at = m.created_at from public.chat_sessions s join public.chat_messages m on m.session_id = s.id where m.content = 'resposta direta'), 'a direct insert moves the latest message time');
select throws_ok($$ insert into public.chat_messages (session_id, role, content) select id, 'narrator', 'x' from public.chat_sessions $$, '23514', null, 'a direct insert is checked like an append (role)');
select throws_ok($$ select public.chat_append_messages((select id from public.chat_sessions), '[{"id":"dddddddd-4444-4444-8444-444444444444","role":"narrator","content":"x"}]') $$, '23514', null, 'the append function refuses the same role');

-- As anon.
reset role;
set local role anon;
select set_config('request.jwt.claims', '{"role":"anon"}', true);
select throws_ok($$ select * from public.chat_sessions $$, '42501', null, 'anon cannot read sessions');
select throws_ok($$ select public.chat_list_sessions(10) $$, '42501', null, 'anon cannot call the functions');
select throws_ok($$ truncate public.chat_sessions cascade $$, '42501', null, 'anon cannot truncate the sessions');
select throws_ok($$ select public.chat_read_reply('eeeeeeee-5555-4555-8555-555555555555') $$, '42501', null, 'anon cannot call the reply functions');
select throws_ok($$ select * from chat_private.chat_reply_chunks $$, '42501', null, 'anon cannot read chunks');

-- As the service role.
reset role;
set local role service_role;
select is((select count(*) from public.chat_messages where user_id = 'aaaaaaaa-1111-4111-8111-111111111111')::int, 3, 'the service role sees every user''s data');
-- A reply that ends complete with no text (the model said nothing) is kept; a reply whose writer vanished is settled by
-- the session's next begin (its lease put in the past here, as the owner), chunks compacted.
reset role;
select public.chat_begin_reply(current_setting('test.a_session')::uuid, 'ffffffff-6666-4666-8666-666666666666', null, 5000, 'aaaaaaaa-1111-4111-8111-111111111111');
select lives_ok($$ select public.chat_finish_reply('ffffffff-6666-4666-8666-666666666666', 0, '', 0, 0, 1000, 0::smallint, null, null, null, 'aaaaaaaa-1111-4111-8111-111111111111') $$, 'a reply may end complete and empty');
select public.chat_begin_reply(current_setting('test.a_session')::uuid, 'ffffffff-7777-4777-8777-777777777777', null, 5000, 'aaaaaaaa-1111-4111-8111-111111111111');
select public.chat_grow_reply('ffffffff-7777-4777-8777-777777777777', 0, 'meia', 4, 4, 1000, 'aaaaaaaa-1111-4111-8111-111111111111');
update public.chat_messages set touched_at = now() - interval '1 minute' where id = 'ffffffff-7777-4777-8777-777777777777';
update chat_private.chat_reply_chunks set written_at = now() - interval '1 minute' where message_id = 'ffffffff-7777-4777-8777-777777777777';
select public.chat_begin_reply(current_setting('test.a_session')::uuid, 'ffffffff-8888-4888-8888-888888888888', null, 5000, 'aaaaaaaa-1111-4111-8111-111111111111');
select results_eq($$ select content, status, status_reason, lease_ms from public.chat_messages where id = 'ffffffff-7777-4777-8777-777777777777' $$,
                  $$ values ('meia', 3::smallint, 4::smallint, null::int) $$, 'the next begin settles a lapsed reply as interrupted (lease expired)');
select is_empty($$ select * from chat_private.chat_reply_chunks where message_id = 'ffffffff-7777-4777-8777-777777777777' $$, 'and removes its chunks');

select * from finish();
rollback;
