select * from public.chat_bench_page_floor(:s);
