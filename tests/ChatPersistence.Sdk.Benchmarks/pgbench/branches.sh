#!/usr/bin/env bash
# Issue 27, server side: the SQL functions of schema 4 (the message tree) next to today's (schema 3), measured as the CPU
# time of the pgbench backend per call: the postmaster's cutime + cstime (the CPU of its exited children) before and after
# each `pgbench -n -M prepared -c 1 -t N`, so a loaded machine's waits for a core do not count. Scenarios are interleaved
# (each round runs every scenario once); the median over the rounds is printed, with pgbench's latency for reference.
# BranchServerSide.cs prepares the cluster (autovacuum off: its workers' CPU would count too), the databases at schema 3
# and 4, the seed, and writes the two files this reads:
#   $SCENARIOS: one scenario a line: name database calls-per-run calls-per-transaction script [-D var=value …]
#   $RATIOS:    one ratio a line:    label numerator-scenario denominator-scenario
# Needs libpq variables (PGHOST, PGPORT, PGUSER, PGPASSWORD) and POSTMASTER (the postmaster's pid, on this machine).
#   bash branches.sh [rounds]
set -euo pipefail
cd "$(dirname "$0")"
rounds=${1:-5}
tck=$(getconf CLK_TCK)
children_cpu() { awk '{print $16 + $17}' "/proc/$POSTMASTER/stat"; }
declare -A line cpu lat
order=()
while read -r name rest; do
  [ -z "$name" ] && continue
  line[$name]=$rest; order+=("$name")
done < "$SCENARIOS"
for ((r = 0; r < rounds; r++)); do
  for s in "${order[@]}"; do
    read -r database calls per script vars <<< "${line[$s]}"
    sleep 0.2
    before=$(children_cpu)
    # shellcheck disable=SC2086
    out=$(pgbench -n -M prepared -c 1 -t "$calls" -d "$database" $vars -f "$script" 2>&1) || { echo "$s failed: $out" >&2; exit 1; }
    # The backend's CPU reaches the postmaster when it has exited and been reaped.
    for _ in 1 2 3 4 5 6 7 8 9 10; do sleep 0.05; [ "$(pgrep -P "$POSTMASTER" -c -f "postgres: [^ ]+ $database \[local\]|postgres: [^ ]+ $database 127" || true)" = 0 ] && break; done
    after=$(children_cpu)
    us=$(awk -v a="$before" -v b="$after" -v t="$tck" -v n="$calls" -v p="$per" 'BEGIN {printf "%.1f", (b - a) * 1000000 / t / n / p}')
    l=$(echo "$out" | awk -v p="$per" '/latency average/ {printf "%.1f", $4 * 1000 / p}')
    cpu[$s]="${cpu[$s]:-} $us"; lat[$s]="${lat[$s]:-} $l"
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
declare -A med
printf '%-22s %14s %14s   %s\n' scenario 'CPU µs/call' 'latency µs' 'CPU of each round (µs/call)'
for s in "${order[@]}"; do
  med[$s]=$(echo "${cpu[$s]}" | median)
  printf '%-22s %14.1f %14.1f  %s\n' "$s" "${med[$s]}" "$(echo "${lat[$s]}" | median)" "${cpu[$s]}"
done
echo
printf '%-60s %8s\n' ratio 'CPU'
while read -r label num den; do
  [ -z "$label" ] && continue
  printf "%-60s %7.2fx\n" "${label//_/ }" "$(awk -v a="${med[$num]}" -v b="${med[$den]}" 'BEGIN {print (b > 0) ? a / b : 0}')"
done < "$RATIOS"
