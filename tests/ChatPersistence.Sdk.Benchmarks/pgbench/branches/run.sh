#!/usr/bin/env bash
# Issue 27's server-side figures: schema version 3 next to version 4 on the same data, in one run, as backend CPU time per
# call (the postmaster's cutime + cstime — the CPU of the backends that exited — around each pgbench run of N transactions on
# one connection: immune to the other processes of a shared machine), interleaved rounds, medians in µs.
#   V3DB: a database at version 3 (migrations 1-3), V4DB: a database at version 4; both seeded with seed_linear.sql
#   (1k / 100k / 1M messages, linear), V4DB also with seed_branched.sql (1k / 100k / 1M messages with one branch point per
#   1,000 messages, nested: the active path goes through every one of them, 1,000 ranges on the 1M path).
#   PGHOST/PGPORT/PGUSER (the migrations' owner) as for psql; PGDATA: the cluster's data directory (for the postmaster's
#   pid; the server must run on this machine). Turn autovacuum off for the run (its workers' CPU would count).
#   V3DB=b3 V4DB=b4 PGDATA=/path/to/data bash run.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")"
: "${V3DB:?}" "${V4DB:?}" "${PGDATA:?}"
pm=$(head -1 "$PGDATA/postmaster.pid")
tck=$(getconf CLK_TCK)
rounds=${1:-5}
u="-D u=11111111-1111-1111-1111-111111111111"
S=bbbbbbbb-0000-0000-0000-000000000005
# A switch between the two versions at fork k of the 1M session: the abandoned answer (X) and the edited question (E).
fork() { psql -d "$V4DB" -Atc "select '-D x=' || (select x.id from public.chat_messages x where x.session_id = e.session_id and x.seq < e.seq order by x.seq desc limit 1) || ' -D e=' || e.id from public.chat_messages e where e.session_id = '$S' and e.content = 'edited question $1'"; }
mid=$(psql -d "$V4DB" -Atc "select seq + 500 from public.chat_messages where session_id = '$S' and content = 'edited question 500'")
early=$(psql -d "$V4DB" -Atc "select seq + 500 from public.chat_messages where session_id = '$S' and content = 'edited question 1'")
declare -A cmd=(
  [v3_page_1k]="$V3DB page.sql 3000 -D s=aaaaaaaa-0000-0000-0000-000000000002"
  [v3_page_100k]="$V3DB page.sql 3000 -D s=aaaaaaaa-0000-0000-0000-000000000003"
  [v3_page_1m]="$V3DB page.sql 3000 -D s=aaaaaaaa-0000-0000-0000-000000000005"
  [v4_lin_page_1k]="$V4DB page.sql 3000 -D s=aaaaaaaa-0000-0000-0000-000000000002"
  [v4_lin_page_100k]="$V4DB page.sql 3000 -D s=aaaaaaaa-0000-0000-0000-000000000003"
  [v4_lin_page_1m]="$V4DB page.sql 3000 -D s=aaaaaaaa-0000-0000-0000-000000000005"
  [v4_br_page_1k]="$V4DB page.sql 3000 -D s=bbbbbbbb-0000-0000-0000-000000000002"
  [v4_br_page_100k]="$V4DB page.sql 3000 -D s=bbbbbbbb-0000-0000-0000-000000000003"
  [v4_br_page_1m]="$V4DB page.sql 3000 -D s=$S"
  [v4_br_deep_mid_1m]="$V4DB deep.sql 3000 -D s=$S -D b=$mid"
  [v4_br_deep_early_1m]="$V4DB deep.sql 3000 -D s=$S -D b=$early"
  [v3_append]="$V3DB append.sql 1500 -D a=aaaaaaaa-0000-0000-0000-000000000001"
  [v4_lin_append]="$V4DB append.sql 1500 -D a=aaaaaaaa-0000-0000-0000-000000000001"
  [v4_br_append]="$V4DB append.sql 1500 -D a=bbbbbbbb-0000-0000-0000-000000000001"
  [switch_fork999_x2]="$V4DB switch.sql 500 -D s=$S $(fork 999)"
  [switch_fork500_x2]="$V4DB switch.sql 500 -D s=$S $(fork 500)"
  [switch_fork1_x2]="$V4DB switch.sql 300 -D s=$S $(fork 1)"
)
order=(${ORDER:-v3_page_1k v4_lin_page_1k v4_br_page_1k v3_page_100k v4_lin_page_100k v4_br_page_100k v3_page_1m v4_lin_page_1m v4_br_page_1m v4_br_deep_mid_1m v4_br_deep_early_1m v3_append v4_lin_append v4_br_append switch_fork999_x2 switch_fork500_x2 switch_fork1_x2})
cpu() { awk -v t="$tck" '{print ($16 + $17) * 1000000 / t}' "/proc/$pm/stat"; }
declare -A all
for ((r = 0; r < rounds; r++)); do
  for s in "${order[@]}"; do
    read -r db script n vars <<<"${cmd[$s]}"
    # The postmaster counts a backend's CPU once it has reaped it: settle before and after.
    sleep 0.3; before=$(cpu)
    # shellcheck disable=SC2086
    pgbench -n -M prepared -c 1 -t "$n" -d "$db" $u $vars -f "$script" >/dev/null 2>&1 || { echo "pgbench failed: $s" >&2; exit 1; }
    sleep 0.3; after=$(cpu)
    all[$s]="${all[$s]:-} $(awk -v a="$before" -v b="$after" -v n="$n" 'BEGIN{printf "%.0f", (b - a) / n}')"
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
printf '%-22s %10s   %s\n' scenario 'median µs' 'rounds (µs CPU per call; a switch script makes two switches)'
for s in "${order[@]}"; do printf '%-22s %10s   %s\n' "$s" "$(echo "${all[$s]}" | median)" "${all[$s]}"; done
