// The original plan's three Supabase calls (get or create the session, save a message, load the history), run through the
// real supabase-js against the PostgREST test server, as two signed-in users and as the service role. Prints one JSON
// object: for each step, what supabase-js answered ({ status, data, error, count }). Run by SupabaseJsPlanCallsTests.
import { createClient } from '@supabase/supabase-js';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`plan-calls.mjs: environment variable ${name} is not set`);
  return value;
};
const url = env('SUPABASE_URL');
const userA = env('USER_A');
const userB = env('USER_B');
const workflow = env('WORKFLOW');
const options = (token) => ({
  auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
  ...(token ? { accessToken: async () => token } : {}),
});
const a = createClient(url, env('PUBLISHABLE_KEY'), options(env('TOKEN_A')));
const b = createClient(url, env('PUBLISHABLE_KEY'), options(env('TOKEN_B')));
const service = createClient(url, env('SECRET_KEY'), options(null));

const result = {};
const step = async (name, query) => {
  const { status, data, error, count } = await query;
  result[name] = { status, data, error, count };
  return data;
};
const now = () => new Date().toISOString();

// 1. Get or create, exactly as the plan wrote it (no conflict target), twice; then with the conflict target.
const plan = (client, user) => client.from('chat_sessions').upsert({ user_id: user, workflow_id: workflow, updated_at: now() }).select('id').single();
const planWithTarget = (client, user) =>
  client.from('chat_sessions').upsert({ user_id: user, workflow_id: workflow, updated_at: now() }, { onConflict: 'user_id,workflow_id' }).select('id').single();
await step('planUpsertUser1', plan(a, userA));
await step('planUpsertUser2', plan(a, userA));
await step('targetUpsertUser1', planWithTarget(a, userA));
// The corrected call: no updated_at (the database maintains it) and the conflict target named.
const corrected = () =>
  a.from('chat_sessions').upsert({ user_id: userA, workflow_id: workflow }, { onConflict: 'user_id,workflow_id' }).select('id').single();
await step('correctedUpsertUser1', corrected());
await step('correctedUpsertUser2', corrected());
// The service role may update every column, so it shows what PostgREST itself does with the plan's call.
await step('planUpsertService1', plan(service, userB));
await step('planUpsertService2', plan(service, userB));
await step('targetUpsertService1', planWithTarget(service, userB));
await step('targetUpsertService2', planWithTarget(service, userB));
// Ignoring duplicates needs no UPDATE privilege, but answers the row only when it inserts it.
const ignore = () => a.from('chat_sessions')
  .upsert({ workflow_id: `${workflow}-ignore` }, { onConflict: 'user_id,workflow_id', ignoreDuplicates: true }).select('id').maybeSingle();
await step('ignoreUpsertUser1', ignore());
await step('ignoreUpsertUser2', ignore());
// The call the docs recommend: the get-or-create function, one round trip, the same row every time.
const session = (await step('rpcGetOrCreate1', a.rpc('chat_get_or_create_session', { p_workflow_id: workflow }).single()))?.id;
await step('rpcGetOrCreate2', a.rpc('chat_get_or_create_session', { p_workflow_id: workflow }).single());

// 2. Save, as the plan wrote it: no id, no user_id.
await step('saveUser', a.from('chat_messages').insert({ session_id: session, role: 'user', content: 'Olá! Quanto custa? 👋', metadata: { source: 'plan' } }));
await step('saveAssistant', a.from('chat_messages')
  .insert({ session_id: session, role: 'assistant', content: 'Depende do plano.', metadata: { tokens: 12 } }).select('id, user_id').single());
// A client-generated id makes a retried save harmless: the retry is ignored, not duplicated.
const clientId = env('CLIENT_MESSAGE_ID');
const idempotent = () => a.from('chat_messages')
  .upsert({ id: clientId, session_id: session, role: 'user', content: 'Sent twice, stored once.', metadata: {} }, { onConflict: 'id', ignoreDuplicates: true });
await step('saveWithClientId1', idempotent());
await step('saveWithClientId2', idempotent());

// 3. History, as the plan wrote it.
const history = (client) => client.from('chat_messages').select('*').eq('session_id', session).order('created_at', { ascending: true }).limit(50);
await step('historyUser', history(a));
// The history the docs recommend: newest first by the strict order (seq), then older pages by keyset.
const newest = await step('historyNewest', a.from('chat_messages').select('*').eq('session_id', session).order('seq', { ascending: false }).limit(2));
await step('historyOlder', a.from('chat_messages').select('*').eq('session_id', session)
  .lt('seq', newest?.at(-1)?.seq ?? 0).order('seq', { ascending: false }).limit(2));
await step('countUser', a.from('chat_messages').select('*', { count: 'exact', head: true }).eq('session_id', session));

// User B, signed in, against user A's session.
await step('historyOtherUser', history(b));
await step('saveOtherUser', b.from('chat_messages').insert({ session_id: session, role: 'user', content: 'not mine', metadata: {} }));
await step('upsertOtherUser', b.from('chat_sessions')
  .upsert({ user_id: userA, workflow_id: workflow }, { onConflict: 'user_id,workflow_id', ignoreDuplicates: true }).select('id'));

process.stdout.write(JSON.stringify(result), () => process.exit(0));
