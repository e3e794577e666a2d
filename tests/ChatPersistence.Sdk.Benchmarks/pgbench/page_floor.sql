select id, session_id, seq, role, content, metadata, created_at, is_favorite from public.chat_bench_page_floor(:s);
