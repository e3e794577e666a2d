select * from public.chat_read_messages(:s, 51, true, :b, :u);
