-- Seeds the pgbench scenarios: one user; sessions for appends (…01), the raw insert (…04), and pages over 1k (…02) and 100k (…03) messages.
insert into auth.users(id) values ('11111111-1111-1111-1111-111111111111');
insert into public.chat_sessions(id,user_id,workflow_id) values
 ('aaaaaaaa-0000-0000-0000-000000000001','11111111-1111-1111-1111-111111111111','append'),
 ('aaaaaaaa-0000-0000-0000-000000000002','11111111-1111-1111-1111-111111111111','k1'),
 ('aaaaaaaa-0000-0000-0000-000000000003','11111111-1111-1111-1111-111111111111','k100'),
 ('aaaaaaaa-0000-0000-0000-000000000004','11111111-1111-1111-1111-111111111111','raw');
insert into public.chat_messages (id, session_id, user_id, role, content, metadata, created_at)
select gen_random_uuid(), s, '11111111-1111-1111-1111-111111111111', case when g % 2 = 0 then 'user' else 'assistant' end,
       'message number ' || g || ' about topic ' || (g % 97), '{}'::jsonb, now() - make_interval(secs => n - g)
from (values ('aaaaaaaa-0000-0000-0000-000000000002'::uuid, 1000), ('aaaaaaaa-0000-0000-0000-000000000003'::uuid, 100000)) v(s, n),
     generate_series(1, n) g;
update public.chat_sessions s set message_count = (select count(*) from public.chat_messages c where c.session_id = s.id);
-- The page's floor: the raw keyset SELECT in an empty PL/pgSQL wrapper with SET search_path (what Supabase's lint 0011
-- leaves any function), no caller check, returning the columns chat_read_messages returns (since issue 26 a page also
-- carries each message's stored status, reason and detail, its lease deadline and the "beyond" flag): the stored columns
-- as they are, without the function's reading of replies still in chunks.
drop function if exists public.chat_bench_page_floor(uuid);
create or replace function public.chat_bench_page_floor(p_session_id uuid)
returns table (id uuid, session_id uuid, seq bigint, role text, content text, metadata jsonb, created_at timestamptz,
               is_favorite boolean, beyond boolean, status smallint, status_reason smallint, status_detail text,
               lease_expires_at timestamptz)
language plpgsql stable set search_path = ''
as $$
#variable_conflict use_column
begin
  return query select c.id, c.session_id, c.seq, c.role, c.content, c.metadata, c.created_at, c.is_favorite, false,
                      c.status, c.status_reason, c.status_detail, null::timestamptz
    from public.chat_messages c where c.session_id = p_session_id order by c.seq desc limit 51;
end $$;
vacuum analyze public.chat_messages, public.chat_sessions;
