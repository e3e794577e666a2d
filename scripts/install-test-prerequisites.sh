#!/usr/bin/env bash
# Installs what the tests need that a fresh Debian machine with only the .NET SDK lacks, and nothing that is already there:
# PostgreSQL 15 with contrib (throwaway clusters for the PostgreSQL, Supabase and fault tests), pgTAP, pg_cron and
# plpgsql_check (the SQL-level checks), pg_prove, poppler-utils (pdftoppm, the PDF rendering test), Chromium and its
# version-matched driver (the chat server's browser tests; browser downloads are not possible), Node.js and npm (the web
# client's module tests and the pinned Supabase CLI), Redis (the cache's second tier in the decorator tests). Uses apt-get as root, or through sudo; fails loudly otherwise.
# The installation (scripts/apt-install.sh) waits for another apt/dpkg holding its lock and touches nothing the machine
# already runs: no service is started, and an existing PostgreSQL cluster is never stopped.
set -euo pipefail

packages=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || packages+=(postgresql-15)
[ -f /usr/share/postgresql/15/extension/pgtap.control ] || packages+=(postgresql-15-pgtap)
[ -f /usr/share/postgresql/15/extension/pg_cron.control ] || packages+=(postgresql-15-cron)
[ -f /usr/share/postgresql/15/extension/plpgsql_check.control ] || packages+=(postgresql-15-plpgsql-check)
command -v pg_prove >/dev/null 2>&1 || packages+=(libtap-parser-sourcehandler-pgtap-perl)
command -v pdftoppm >/dev/null 2>&1 || packages+=(poppler-utils)
[ -x /usr/bin/chromium ] || packages+=(chromium)
[ -x /usr/bin/chromedriver ] || packages+=(chromium-driver)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)

if [ ${#packages[@]} -eq 0 ]; then
  echo "prerequisites: all present"
  exit 0
fi

echo "prerequisites: installing ${packages[*]}"
# Waits for another apt/dpkg's lock, starts no service, and never stops a PostgreSQL cluster that ran before.
bash "$(dirname "$0")/apt-install.sh" "${packages[@]}"
