#!/usr/bin/env bash
# Issue 27: applying the tree's migration (schema 3 → 4) to a database holding a 1M-message session, while a reader (the
# newest page through chat_read_messages) and a writer (chat_append_messages, one message) keep calling, as an app would.
# Reports the migration's wall time, the locks it held on the existing tables (pg_locks sampled every ~2 ms by a superuser
# session: which mode on which table, from first to last sample seen) and what the reader and writer saw (pgbench's
# per-transaction log: the calls that overlapped the migration, their longest latency, next to the calls before it).
# Environment: PGHOST, PGPORT, PGPASSWORD; DB (the database at schema 3), OWNER (runs the migration, as on Supabase),
# SUPERUSER (the sampler), MIGRATION (the file), READ_SESSION, APPEND_SESSION, USER_ID; OUT (a folder for the logs).
set -euo pipefail
cd "$(dirname "$0")"
: "${DB:?}" "${OWNER:?}" "${SUPERUSER:?}" "${MIGRATION:?}" "${READ_SESSION:?}" "${APPEND_SESSION:?}" "${USER_ID:?}" "${OUT:?}"
mkdir -p "$OUT"
cat > "$OUT/read.sql" <<'SQL'
select count(*) from public.chat_read_messages(:s, 51, true, null, :u);
SQL
cat > "$OUT/write.sql" <<'SQL'
select count(*) from public.chat_append_messages(:a, ('[{"id":"' || gen_random_uuid() || '","role":"user","content":"Hello, this is a typical user message of moderate length."}]')::jsonb, :u);
SQL
duration=${DURATION:-12}
# The load: 2 clients, 50 calls/s each (a reader and a writer), unprepared statements (the migration replaces the functions).
(cd "$OUT" && PGUSER=$OWNER pgbench -n -M extended -c 2 -j 2 -T "$duration" -R 100 --log --log-prefix=load \
   -D s="$READ_SESSION" -D a="$APPEND_SESSION" -D u="$USER_ID" -f read.sql@1 -f write.sql@1 -d "$DB" > pgbench.out 2>&1) &
load=$!
# The sampler: relation locks on the tables the migration alters, every ~2 ms, for the whole load.
PGUSER=$SUPERUSER psql -d "$DB" -v ON_ERROR_STOP=1 -qAt -F ' ' > "$OUT/locks.txt" 2> "$OUT/sampler.err" <<SQL &
create temp table s (t timestamptz, pid int, rel text, mode text, granted boolean);
do \$\$
declare v_end timestamptz := clock_timestamp() + interval '$duration seconds' - interval '1 second';
begin
  while clock_timestamp() < v_end loop
    insert into s select clock_timestamp(), l.pid, l.relation::regclass::text, l.mode, l.granted from pg_catalog.pg_locks l
     where l.locktype = 'relation' and l.pid <> pg_backend_pid()
       and l.relation in ('public.chat_messages'::regclass, 'public.chat_sessions'::regclass, 'chat_private.chat_changes'::regclass);
    perform pg_sleep(0.002);
  end loop;
end \$\$;
-- Per pid, table, mode and granted: first and last time seen (ms since the epoch) and the number of samples.
select pid, rel, mode, granted, round(extract(epoch from min(t)) * 1000, 1), round(extract(epoch from max(t)) * 1000, 1), count(*)
  from s group by pid, rel, mode, granted order by min(t);
select 'samples', count(distinct t), round(extract(epoch from min(t)) * 1000, 1), round(extract(epoch from max(t)) * 1000, 1) from s;
SQL
sampler=$!
sleep 3
start=$(date +%s%3N)
PGUSER=$OWNER psql -d "$DB" -v ON_ERROR_STOP=1 -q -f "$MIGRATION" > "$OUT/migration.out" 2>&1
end=$(date +%s%3N)
wait "$sampler"; wait "$load" || true
echo "migration: wall $((end - start)) ms (from $start to $end ms since the epoch)"
echo "locks held or waited for on the existing tables (pid table mode granted first-ms last-ms samples; ms since the migration began):"
awk -v s="$start" '$1 != "samples" {printf "  %s %s %s %s %+.0f..%+.0f ms (%d samples)\n", $1, $2, $3, $4, $5 - s, $6 - s, $7}
                   $1 == "samples" {printf "  sampler: %d samples from %+.0f to %+.0f ms\n", $2, $3 - s, $4 - s}' "$OUT/locks.txt"
# pgbench log (PostgreSQL 15): client transaction latency-µs script epoch-s epoch-µs [lag-µs]
cat "$OUT"/load* 2>/dev/null | awk -v s="$start" -v e="$end" '
  { done = $5 * 1000 + $6 / 1000; begun = done - $3 / 1000; name = ($4 == 0) ? "reader" : "writer"
    if (done >= s && begun <= e) { n[name "_during"]++; if ($3 > m[name "_during"]) m[name "_during"] = $3 }
    else if (begun < s) { n[name "_before"]++; if ($3 > m[name "_before"]) m[name "_before"] = $3; sum[name] += $3 } }
  END { for (k in n) printf "  %s: %d calls, longest %.1f ms\n", k, n[k], m[k] / 1000
        for (k in sum) printf "  %s_before: mean %.2f ms\n", k, sum[k] / n[k "_before"] / 1000 }' | sort
grep -E "aborted|error|ERROR" "$OUT/pgbench.out" "$OUT/migration.out" || true
