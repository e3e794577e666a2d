#!/usr/bin/env bash
# Server-side cost of the SQL functions next to their floors (pgbench, 1 client, prepared statements, interleaved
# repetitions). Floors: an append next to the same write by hand — one INSERT of the message, whose table triggers bump the
# session's counters and log the change as for any insert (raw_insert); a page next to the raw keyset SELECT (raw_page) and
# to that SELECT in an empty PL/pgSQL wrapper with SET search_path (page_floor: what Supabase's lint 0011 leaves).
# Needs a database with the migration applied (as the Supabase tests prepare it) and libpq variables (PGHOST, PGPORT,
# PGUSER = the migration's owner, e.g. postgres; PGDATABASE). Seeds once (`--seed`), then prints the median latency of each
# scenario and its ratio to its raw baseline. `--without-feed` disables the change feed's append trigger for the run (and
# enables it again after), to show what the feed costs an append.
#   bash tests/ChatPersistence.Sdk.Benchmarks/pgbench/run.sh [--seed] [--without-feed] [reps] [seconds]
set -euo pipefail
cd "$(dirname "$0")"
if [ "${1:-}" = "--seed" ]; then psql -v ON_ERROR_STOP=1 -q -f seed.sql 2>/dev/null; shift; fi
if [ "${1:-}" = "--without-feed" ]; then
  psql -v ON_ERROR_STOP=1 -qc 'alter table public.chat_sessions disable trigger chat_sessions_messages_appended'
  trap "psql -qc 'alter table public.chat_sessions enable trigger chat_sessions_messages_appended'" EXIT
  shift
fi
reps=${1:-5}; secs=${2:-3}
user=u=11111111-1111-1111-1111-111111111111
declare -A vars=(
  [raw_insert]="-D r=aaaaaaaa-0000-0000-0000-000000000004 -D $user"
  [append]="-D a=aaaaaaaa-0000-0000-0000-000000000001 -D $user"
  [raw_insert_100]="-D r=aaaaaaaa-0000-0000-0000-000000000004 -D $user"
  [append_100]="-D a=aaaaaaaa-0000-0000-0000-000000000001 -D $user"
  [raw_page_1k]="-D s=aaaaaaaa-0000-0000-0000-000000000002"
  [page_floor_1k]="-D s=aaaaaaaa-0000-0000-0000-000000000002"
  [page_1k]="-D s=aaaaaaaa-0000-0000-0000-000000000002 -D $user"
  [raw_page_100k]="-D s=aaaaaaaa-0000-0000-0000-000000000003"
  [page_floor_100k]="-D s=aaaaaaaa-0000-0000-0000-000000000003"
  [page_100k]="-D s=aaaaaaaa-0000-0000-0000-000000000003 -D $user"
)
order=(raw_insert append raw_insert_100 append_100 raw_page_1k page_floor_1k page_1k raw_page_100k page_floor_100k page_100k)
declare -A all
for ((r = 0; r < reps; r++)); do
  for s in "${order[@]}"; do
    script=${s%_1k}; script=${script%_100k}.sql
    # shellcheck disable=SC2086
    lat=$(pgbench -n -M prepared -c 1 -T "$secs" ${vars[$s]} -f "$script" 2>&1 | awk '/latency average/ {print $4 * 1000}')
    all[$s]="${all[$s]:-} $lat"
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
declare -A med
for s in "${order[@]}"; do med[$s]=$(echo "${all[$s]}" | median); done
# ratio: to the raw statement (raw_insert, raw_page); floor: a page to the wrapper (page_floor), an append to raw_insert.
printf '%-18s %10s %8s %8s   %s\n' scenario 'median µs' ratio floor 'all runs (µs)'
for s in "${order[@]}"; do
  base=${s/append/raw_insert}; base=${base/#page_floor/raw_page}; base=${base/#page/raw_page}
  floor=$base; [[ $s == page_1k || $s == page_100k ]] && floor=${s/#page/page_floor}
  printf '%-18s %10.0f %7.2fx %7.2fx  %s\n' "$s" "${med[$s]}" "$(awk -v a="${med[$s]}" -v b="${med[$base]}" 'BEGIN {print a / b}')" \
    "$(awk -v a="${med[$s]}" -v b="${med[$floor]}" 'BEGIN {print a / b}')" "${all[$s]}"
done
