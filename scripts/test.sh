#!/usr/bin/env bash
# Runs every test, on a fresh Debian machine too: installs what is missing (scripts/install-test-prerequisites.sh), runs
# Supabase's own tools on the migration (.ci/supabase-checks.sh), then `dotnet test` on the whole solution, then every
# benchmark once in smoke mode (BenchmarkDotNet and pgbench on small data: they must run, their figures are not checked).
# The first run restores and builds the solution before testing. Extra arguments go to `dotnet test`.
# A test run leaves the temp folder as it found it: the run fails loudly if a PostgreSQL cluster it started (a
# chatpersistence-pg-* folder or its server) is still there at the end, passed or failed (scripts/test-temp-check.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
command -v dotnet >/dev/null 2>&1 || { echo "test: the .NET 10 SDK (dotnet) is required: https://dot.net" >&2; exit 1; }

bash scripts/install-test-prerequisites.sh
# shellcheck source=scripts/test-temp-check.sh
. scripts/test-temp-check.sh
temp_check_begin
trap 'status=$?; temp_check_end || status=1; exit $status' EXIT
bash .ci/supabase-checks.sh
dotnet test ChatPersistence.Sdk.sln "$@"
dotnet run -c Release --project tests/ChatPersistence.Sdk.Benchmarks -- --filter '*' --smoke --sql
