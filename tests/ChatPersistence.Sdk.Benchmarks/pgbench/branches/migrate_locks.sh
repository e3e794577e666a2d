#!/usr/bin/env bash
# Applies version 4 to a database at version 3 (e.g. holding seed_linear.sql's 1.1M messages) and prints the statements'
# time and every relation lock the migration's transaction holds at its end (locks are kept until commit, so this is the
# complete list of what it took). Run on a copy: `create database v4m template v3db`.
#   PGHOST/PGPORT/PGUSER as for psql; bash migrate_locks.sh <database>
set -euo pipefail
cd "$(dirname "$0")"
mig=../../../../supabase/migrations/20261207000000_chat_branches.sql
sed 's/^commit;$/select l.relation::regclass as relation, l.mode from pg_locks l where l.pid = pg_backend_pid() and l.locktype = '"'"'relation'"'"' and l.relation::regclass::text not like '"'"'pg_%'"'"' order by 1, 2;\ncommit;/' "$mig" \
  | psql -X -d "$1" -q -v ON_ERROR_STOP=1 -c '\timing on' -f - 2>&1 \
  | grep -v NOTICE | awk '/^Time:/ {t += $2; next} {print} END {printf "sum of the statements: %.1f ms\n", t}'
