-- Schedule ChatPersistence.Sdk's retention inside the database with pg_cron (available in Supabase: enable the
-- "pg_cron" extension under Database → Extensions, or run the first statement). Deletes, every night at 03:17 UTC,
-- the chat sessions idle for more than 90 days — up to 10,000 per run — with their messages.
-- pg_cron runs the job as the role that scheduled it (the owner, `postgres`), which chat_delete_idle_sessions allows.
create extension if not exists pg_cron;

select cron.schedule(
  'chat-persistence-retention',
  '17 3 * * *',
  $$select public.chat_delete_idle_sessions(now() - interval '90 days', 10000)$$
);

-- To change it, schedule again under the same name; to stop it:
--   select cron.unschedule('chat-persistence-retention');
