#!/usr/bin/env bash
# Supabase's own tools against the migration, on a throwaway PostgreSQL 15 cluster prepared like a hosted Supabase
# project (tests/ChatPersistence.Sdk.PostgresTesting/supabase_auth_shim.sql), with no Docker:
#   supabase db push (twice: the second must find nothing to push), supabase migration list,
#   supabase db advisors (fails on any WARN or ERROR), supabase db lint (plpgsql_check, fails on error),
#   the pgTAP files under supabase/tests with pg_prove as `postgres`,
#   TypeScript types from @supabase/postgres-meta compared with supabase/types/database.ts.
# Installs whatever is missing (Debian packages; the pinned npm tools from .ci/tools/package-lock.json) and fails
# loudly when something cannot be installed or run; it never skips a check.
#
# Usage: bash .ci/supabase-checks.sh            # run every check
#        bash .ci/supabase-checks.sh --write-types  # regenerate supabase/types/database.ts instead of comparing
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

write_types=0
case "${1:-}" in
  "") ;;
  --write-types) write_types=1 ;;
  *) echo "supabase-checks: unknown argument '$1' (only --write-types)" >&2; exit 2 ;;
esac

fail() { echo "supabase-checks: FAILED: $*" >&2; exit 1; }
step() { echo; echo "=== supabase-checks: $*"; }

# Root, or a user with sudo (as README says): the cluster runs as the OS user postgres, and packages are installed with
# apt-get. As root: runuser; otherwise: sudo (never a bare runuser or chown, which only root may use).
if [ "$(id -u)" -eq 0 ]; then
  sudo_cmd=""
  as_postgres() { runuser -u postgres -- "$@"; }
else
  command -v sudo >/dev/null 2>&1 || fail "run as root, or as a user with sudo (sudo is not installed)"
  sudo -n true 2>/dev/null || echo "supabase-checks: not root: sudo may ask for your password"
  sudo_cmd="sudo"
  as_postgres() { sudo -u postgres -- "$@"; }
fi

# Scratch space (cluster, CLI home, outputs), removed on exit; the cluster is stopped first.
work=$(mktemp -d /tmp/supabase-checks.XXXXXX)
# The cluster's own folder (data, socket, server log) belongs to postgres; the rest of $work to whoever runs the script.
pgroot="$work/pg"
pgdata="$pgroot/data"
started=0
cleanup() {
  if [ "$started" -eq 1 ]; then
    as_postgres /usr/lib/postgresql/15/bin/pg_ctl -D "$pgdata" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  # The cluster's files belong to postgres: removing them needs root.
  $sudo_cmd rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

pg_bin=/usr/lib/postgresql/15/bin
sb_version=2.117.0
pgmeta_version=0.99.0

# --- System packages (Debian) ---------------------------------------------------------------------
step "system packages"
packages=()
[ -x "$pg_bin/initdb" ] || packages+=(postgresql-15)
[ -f /usr/share/postgresql/15/extension/pgtap.control ] || packages+=(postgresql-15-pgtap)
[ -f /usr/share/postgresql/15/extension/plpgsql_check.control ] || packages+=(postgresql-15-plpgsql-check)
command -v pg_prove >/dev/null 2>&1 || packages+=(libtap-parser-sourcehandler-pgtap-perl)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
if [ ${#packages[@]} -gt 0 ]; then
  echo "installing ${packages[*]}"
  # Waits for another apt/dpkg's lock, starts no service, never stops a cluster that ran before (this script starts a
  # throwaway one).
  bash scripts/apt-install.sh "${packages[@]}" || fail "apt-get install ${packages[*]}"
fi
for f in "$pg_bin/initdb" "$pg_bin/pg_ctl" /usr/share/postgresql/15/extension/pgtap.control \
         /usr/share/postgresql/15/extension/plpgsql_check.control; do
  [ -e "$f" ] || fail "$f is missing after installing packages"
done
for c in pg_prove psql node npm; do command -v "$c" >/dev/null 2>&1 || fail "$c is missing after installing packages"; done
echo "node $(node --version), npm $(npm --version), $("$pg_bin/postgres" --version)"

# --- Pinned npm tools (.ci/tools: package.json + package-lock.json) -------------------------------
step "npm tools (supabase@$sb_version, @supabase/postgres-meta@$pgmeta_version)"
tools="$root/.ci/tools"
stamp="$tools/node_modules/.installed-from-lock"
lock_sum=$(sha256sum "$tools/package-lock.json" | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_sum" ]; then
  (cd "$tools" && npm ci --no-audit --no-fund --loglevel=error) || fail "npm ci in .ci/tools"
  echo "$lock_sum" > "$stamp"
fi
# No telemetry, no update check (there is no network but the package registries), and a HOME of its own so the CLI
# leaves nothing in the runner's (it keeps ~/.supabase/telemetry.json and traces).
export SUPABASE_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1 SUPABASE_NO_UPDATE_NOTIFIER=1
supabase="$tools/node_modules/.bin/supabase"
sb_home="$work/home"
mkdir -p "$sb_home"
sb() { HOME="$sb_home" "$supabase" --workdir "$root" "$@"; }
[ -x "$supabase" ] || fail "$supabase is missing (npm ci did not install the CLI)"
got=$(sb --version 2>&1) || fail "supabase --version: $got"
[ "$got" = "$sb_version" ] || fail "supabase CLI is '$got', expected $sb_version"
pgmeta="$tools/node_modules/@supabase/postgres-meta"
got=$(node -p "require('$pgmeta/package.json').version") || fail "cannot read postgres-meta's version"
[ "$got" = "$pgmeta_version" ] || fail "@supabase/postgres-meta is '$got', expected $pgmeta_version"
echo "supabase $(sb --version), @supabase/postgres-meta $got"

# --- Throwaway cluster prepared like a hosted Supabase database -----------------------------------
step "throwaway PostgreSQL 15 cluster"
id postgres >/dev/null 2>&1 || fail "OS user postgres does not exist (the postgresql-15 package creates it)"
chmod 755 "$work"
mkdir -m 755 "$pgroot"
$sudo_cmd chown postgres:postgres "$pgroot"
port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
as_postgres mkdir -m 700 "$pgdata"
as_postgres "$pg_bin/initdb" -D "$pgdata" -U supabase_admin -E UTF8 --locale=C.UTF-8 \
  --auth-local=trust --auth-host=scram-sha-256 >"$work/initdb.log" 2>&1 || { cat "$work/initdb.log" >&2; fail "initdb"; }
as_postgres "$pg_bin/pg_ctl" -D "$pgdata" -l "$pgroot/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$pgroot -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
  start >/dev/null || { $sudo_cmd cat "$pgroot/server.log" >&2; fail "pg_ctl start"; }
started=1
echo "cluster on 127.0.0.1:$port (bootstrap superuser supabase_admin)"

admin_psql() { psql -X -q -v ON_ERROR_STOP=1 -h "$pgroot" -p "$port" -U supabase_admin -d postgres "$@"; }
admin_psql -f "$root/tests/ChatPersistence.Sdk.PostgresTesting/supabase_auth_shim.sql" \
  || fail "tests/ChatPersistence.Sdk.PostgresTesting/supabase_auth_shim.sql"
password="postgres-$RANDOM$RANDOM"
# Extensions a Supabase user enables from the dashboard but that vanilla PostgreSQL does not trust.
admin_psql -c "alter role postgres password '$password'" \
  -c "create extension if not exists pgtap with schema extensions" \
  -c "create extension if not exists plpgsql_check with schema extensions" || fail "cluster preparation"
super=$(admin_psql -Atc "select rolsuper from pg_roles where rolname = 'postgres'")
[ "$super" = "f" ] || fail "role postgres is a superuser; the checks must run as a non-superuser owner"

db_url="postgresql://postgres:$password@127.0.0.1:$port/postgres?sslmode=disable"
# How the CLI is told which database to use: 2.x takes --db-url <url> (it has no --remote); 3.x takes --remote=<url> (with
# the "=": the flag's value is optional, a bare --remote means the linked project) and still accepts --db-url with
# "Warning: --db-url is deprecated and will be removed in v4. Use --remote=<db-url> instead". Checked with 2.117.0 and
# 3.1.0 (`supabase db push --help`).
if [ "${sb_version%%.*}" -ge 3 ]; then
  db_target=("--remote=$db_url")
else
  db_target=(--db-url "$db_url")
fi
export PGPASSWORD="$password"

# Every check below runs even when an earlier one failed, so one run shows everything that is wrong; the script
# fails at the end, naming each failed check.
failures=()
bad() { echo "supabase-checks: CHECK FAILED: $*" >&2; failures+=("$*"); }
hide() { sed "s/$password/***/g"; }

# Runs a CLI command, prints its whole output and keeps it in $out; returns its exit status.
run_cli() {
  local status=0
  echo "\$ supabase $*" | hide
  out=$(sb "$@" 2>&1) || status=$?
  printf '%s\n' "$out" | hide
  return "$status"
}

# --- The migration prints no WARNING (psql shows the server's notices; the CLI does not) ----------
step "migrations applied with psql as postgres on a second database prepared the same way: no WARNING"
mapfile -t migrations < <(find "$root/supabase/migrations" -maxdepth 1 -name '*.sql' | sort)
[ ${#migrations[@]} -gt 0 ] || fail "no migration in supabase/migrations"
admin_psql -c "create database migration_check" \
  && PGOPTIONS="-c client_min_messages=warning" admin_psql -d migration_check -f "$root/tests/ChatPersistence.Sdk.PostgresTesting/supabase_auth_shim.sql" \
  || fail "preparing database migration_check"
status=0
: >"$work/psql-migration.err"
for migration in "${migrations[@]}"; do
  psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d migration_check -f "$migration" \
    >>"$work/psql-migration.out" 2>>"$work/psql-migration.err" || { status=$?; break; }
done
cat "$work/psql-migration.err"
if [ "$status" -ne 0 ]; then
  bad "the migration failed under psql as postgres (exit $status)"
elif grep -q "WARNING" "$work/psql-migration.err"; then
  bad "the migration printed a WARNING as postgres on a database prepared like Supabase (above)"
else
  echo "no WARNING"
fi

# --- supabase db push, twice ----------------------------------------------------------------------
step "supabase db push (1st: applies the migration)"
if run_cli db push "${db_target[@]}" --yes; then
  for migration in "${migrations[@]}"; do
    name=$(basename "$migration")
    grep -q "Applying migration $name" <<<"$out" || bad "the first db push did not apply $name"
  done
else
  bad "supabase db push exited with an error"
fi

step "supabase db push (2nd: must be up to date)"
if run_cli db push "${db_target[@]}" --yes; then
  grep -qi "up to date" <<<"$out" || bad "the second db push did not report that the database is up to date"
else
  bad "the second supabase db push exited with an error"
fi

step "supabase migration list"
if run_cli migration list "${db_target[@]}"; then
  for migration in "${migrations[@]}"; do
    version=$(basename "$migration" | cut -d_ -f1)
    grep -Eq "$version\`? *\\| *\`?$version" <<<"$out" \
      || bad "migration list does not show $version both locally and on the database"
  done
else
  bad "supabase migration list exited with an error"
fi

# --- Security and Performance Advisors (splinter, as embedded in the CLI) -------------------------
step "supabase db advisors --type all --level info"
echo "\$ supabase db advisors ${db_target[0]%%=*} *** --type all --level info"
status=0
sb db advisors "${db_target[@]}" --type all --level info \
  >"$work/advisors.json" 2>"$work/advisors.err" || status=$?
hide <"$work/advisors.err"
hide <"$work/advisors.json"
if [ "$status" -ne 0 ]; then
  bad "supabase db advisors exited with $status"
else
  node -e '
    const fs = require("fs");
    const raw = fs.readFileSync(process.argv[1], "utf8").trim();
    let lints;
    try { lints = raw === "" ? [] : JSON.parse(raw); } catch (e) { console.error("advisors output is not JSON: " + e.message); process.exit(2); }
    if (!Array.isArray(lints)) lints = lints.results ?? lints.lints;
    if (!Array.isArray(lints)) { console.error("advisors output has no list of lints"); process.exit(2); }
    const bad = lints.filter(l => /^(WARN|ERROR)$/i.test(String(l.level)));
    console.log(`advisors: ${lints.length} lint(s), ${bad.length} at WARN or ERROR`);
    for (const l of lints) console.log(`  ${l.level} ${l.name}: ${l.detail}`);
    process.exit(bad.length ? 1 : 0);
  ' "$work/advisors.json" || bad "db advisors reported WARN or ERROR lints, or output that could not be read (above)"
fi

# --- Newer Security Advisor lints that CLI 2.117.0 does not embed --------------------------------
# The dashboard's Security Advisor also runs 0028 anon_security_definer_function_executable and
# 0029 authenticated_security_definer_function_executable (WARN): a SECURITY DEFINER function in an exposed schema
# that anon / authenticated may execute. Exposed = the `pgrst.db_schemas` setting, else [api] schemas of
# supabase/config.toml (graphql_public is Supabase's own and excluded, as the advisor does).
step "SECURITY DEFINER functions in exposed schemas executable by anon or authenticated (advisor lints 0028/0029)"
exposed=$(sed -n 's/^schemas *= *\[\(.*\)\].*/\1/p' "$root/supabase/config.toml" | tr -d '" ')
[ -n "$exposed" ] || fail "supabase/config.toml has no [api] schemas line"
status=0
psql -X -q -At -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres -d postgres -v exposed="$exposed" \
  >"$work/secdef.txt" <<'SQL' || status=$?
select format('WARN %s_security_definer_function_executable: %I.%I(%s)', r.role, n.nspname, p.proname,
              pg_catalog.pg_get_function_identity_arguments(p.oid))
from pg_catalog.pg_proc p
join pg_catalog.pg_namespace n on n.oid = p.pronamespace
cross join (values ('anon'), ('authenticated')) as r(role)
where p.prosecdef
  and pg_catalog.has_function_privilege(r.role, p.oid, 'EXECUTE')
  and n.nspname = any (string_to_array(coalesce(nullif(replace(current_setting('pgrst.db_schemas', true), ' ', ''), ''),
                                                :'exposed'), ','))
  and n.nspname <> 'graphql_public'
order by 1;
SQL
cat "$work/secdef.txt"
if [ "$status" -ne 0 ]; then
  bad "the SECURITY DEFINER query failed"
elif [ -s "$work/secdef.txt" ]; then
  bad "SECURITY DEFINER functions in exposed schemas ($exposed) are executable by anon or authenticated (above)"
else
  echo "none in exposed schemas ($exposed)"
fi

# --- plpgsql_check --------------------------------------------------------------------------------
step "supabase db lint -s public --fail-on error"
run_cli db lint "${db_target[@]}" -s public --fail-on error || bad "supabase db lint found errors (or failed)"

# --- pgTAP ----------------------------------------------------------------------------------------
step "pgTAP (pg_prove as postgres)"
shopt -s nullglob
tap_files=("$root"/supabase/tests/*.sql)
shopt -u nullglob
if [ ${#tap_files[@]} -eq 0 ]; then
  bad "no pgTAP file under supabase/tests"
else
  pg_prove -h 127.0.0.1 -p "$port" -U postgres -d postgres --verbose "${tap_files[@]}" || bad "pg_prove"
fi

# --- TypeScript types (postgres-meta, run as `supabase gen types typescript --db-url` runs it) ---
step "TypeScript types (@supabase/postgres-meta $pgmeta_version, schema public)"
types="$root/supabase/types/database.ts"
status=0
PG_META_DB_URL="$db_url" PG_CONN_TIMEOUT_SECS=15 PG_QUERY_TIMEOUT_SECS=15 PG_META_GENERATE_TYPES=typescript \
PG_META_GENERATE_TYPES_INCLUDED_SCHEMAS=public PG_META_GENERATE_TYPES_SWIFT_ACCESS_CONTROL=internal \
PG_META_GENERATE_TYPES_DETECT_ONE_TO_ONE_RELATIONSHIPS=true \
  node "$pgmeta/dist/server/server.js" >"$work/database.ts" 2>"$work/pgmeta.err" || status=$?
if [ "$status" -ne 0 ] || ! grep -q "chat_messages" "$work/database.ts"; then
  hide <"$work/pgmeta.err" >&2
  bad "postgres-meta type generation (exit $status, or no chat_messages in its output)"
elif [ "$write_types" -eq 1 ]; then
  mkdir -p "$(dirname "$types")"
  cp "$work/database.ts" "$types"
  echo "wrote supabase/types/database.ts"
elif [ ! -f "$types" ]; then
  bad "supabase/types/database.ts is missing (bash .ci/supabase-checks.sh --write-types writes it)"
elif diff -u "$types" "$work/database.ts"; then
  echo "supabase/types/database.ts matches the migrated database"
else
  bad "supabase/types/database.ts differs from the migrated database's types (diff above; bash .ci/supabase-checks.sh --write-types regenerates it)"
fi

echo
if [ ${#failures[@]} -gt 0 ]; then
  echo "supabase-checks: ${#failures[@]} check(s) FAILED:" >&2
  for f in "${failures[@]}"; do echo "  - $f" >&2; done
  exit 1
fi
echo "supabase-checks: all Supabase tool checks passed"
