-- Linear sessions of 1k, 100k and 1M messages (identical in the version-3 and version-4 databases).
insert into auth.users(id) values ('11111111-1111-1111-1111-111111111111') on conflict do nothing;
insert into public.chat_sessions(id,user_id,workflow_id) values
 ('aaaaaaaa-0000-0000-0000-000000000001','11111111-1111-1111-1111-111111111111','append'),
 ('aaaaaaaa-0000-0000-0000-000000000002','11111111-1111-1111-1111-111111111111','k1'),
 ('aaaaaaaa-0000-0000-0000-000000000003','11111111-1111-1111-1111-111111111111','k100'),
 ('aaaaaaaa-0000-0000-0000-000000000005','11111111-1111-1111-1111-111111111111','m1');
insert into public.chat_messages (id, session_id, user_id, role, content, metadata, created_at)
select gen_random_uuid(), s, '11111111-1111-1111-1111-111111111111', case when g % 2 = 0 then 'user' else 'assistant' end,
       'message number ' || g || ' about topic ' || (g % 97), '{}'::jsonb, now() - make_interval(secs => n - g)
from (values ('aaaaaaaa-0000-0000-0000-000000000002'::uuid, 1000), ('aaaaaaaa-0000-0000-0000-000000000003'::uuid, 100000),
             ('aaaaaaaa-0000-0000-0000-000000000005'::uuid, 1000000)) v(s, n),
     generate_series(1, n) g;
