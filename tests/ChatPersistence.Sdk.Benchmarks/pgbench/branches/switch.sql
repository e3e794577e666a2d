select * from public.chat_switch_branch(:s, :x, :u);
select * from public.chat_switch_branch(:s, :e, :u);
