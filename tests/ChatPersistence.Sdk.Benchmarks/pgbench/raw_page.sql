select id, session_id, seq, role, content, metadata, created_at, is_favorite from public.chat_messages where session_id = :s order by seq desc limit 50;
