select changed from public.chat_switch_branch(:s, :a, :u);
select changed from public.chat_switch_branch(:s, :b, :u);
