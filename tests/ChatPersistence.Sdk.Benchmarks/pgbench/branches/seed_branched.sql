-- Branched sessions (version 4 only): 1k, 100k, 1M messages with one branch point per 1,000 messages (an edit of the
-- question before the newest answer: a new run under the message two back), nested: the active path goes through all.
insert into public.chat_sessions(id,user_id,workflow_id) values
 ('bbbbbbbb-0000-0000-0000-000000000002','11111111-1111-1111-1111-111111111111','b1'),
 ('bbbbbbbb-0000-0000-0000-000000000003','11111111-1111-1111-1111-111111111111','b100'),
 ('bbbbbbbb-0000-0000-0000-000000000005','11111111-1111-1111-1111-111111111111','bm1'),
 ('bbbbbbbb-0000-0000-0000-000000000001','11111111-1111-1111-1111-111111111111','bappend');
do $$
declare
  v record;
  b int;
begin
  for v in select * from (values ('bbbbbbbb-0000-0000-0000-000000000002'::uuid, 1), ('bbbbbbbb-0000-0000-0000-000000000003'::uuid, 100),
                                 ('bbbbbbbb-0000-0000-0000-000000000005'::uuid, 1000), ('bbbbbbbb-0000-0000-0000-000000000001'::uuid, 3)) x(s, n) loop
    for b in 1..v.n loop
      perform set_config('chat.locked_session', v.s::text, true);
      insert into public.chat_messages (id, session_id, user_id, role, content, metadata, created_at)
      select gen_random_uuid(), v.s, '11111111-1111-1111-1111-111111111111', case when g % 2 = 0 then 'user' else 'assistant' end,
             'message number ' || g || ' about topic ' || (g % 97), '{}'::jsonb, now()
        from generate_series(1, 999) g;
      -- The bulk insert skipped the tree's placement: the leaf is the newest message again.
      update public.chat_sessions s set leaf_seq = m.seq, leaf_id = m.id
        from (select c.id, c.seq from public.chat_messages c where c.session_id = v.s order by c.seq desc limit 1) m
       where s.id = v.s and s.leaf_id is not null;
      perform from chat_private.chat_append_tree(v.s, pg_catalog.jsonb_build_array(pg_catalog.jsonb_build_object(
        'id', gen_random_uuid(), 'role', 'user', 'content', 'edited question ' || b,
        'parent_id', (select c.id from public.chat_messages c where c.session_id = v.s order by c.seq desc offset 2 limit 1))),
        '11111111-1111-1111-1111-111111111111', 1000);
    end loop;
  end loop;
end $$;
update public.chat_sessions s set message_count = (select count(*) from public.chat_messages c where c.session_id = s.id);
