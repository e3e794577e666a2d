#!/usr/bin/env bash
# Installs Debian packages for the tests without disturbing what the machine runs. Usage: bash scripts/apt-install.sh PACKAGE...
# (as root, or through sudo; fails loudly otherwise). Used by scripts/install-test-prerequisites.sh and .ci/supabase-checks.sh.
# - Another apt/dpkg holding its lock (a shared machine, unattended upgrades) is waited for, up to 10 minutes, not a failure:
#   DPkg::Lock::Timeout for dpkg's lock, and a retry while `apt-get` reports a lock it could not get (apt-get update's lists
#   lock has no timeout option).
# - The installation starts no service: a policy-rc.d that refuses starts is in place for its length (unless the machine has
#   one already, which is left as it is). Debian's postgresql package would otherwise start a `15 main` cluster.
# - A PostgreSQL 15 `main` cluster that ran before is never stopped; one that the installation started anyway (a systemd
#   host, where policy-rc.d does not apply) is stopped.
set -euo pipefail
[ $# -gt 0 ] || exit 0

if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  echo "apt-install: missing $*; install them as root: apt-get install $*" >&2
  exit 1
fi

main_cluster_state() {
  if command -v pg_lsclusters >/dev/null 2>&1; then
    pg_lsclusters -h 2>/dev/null | awk '$1 == "15" && $2 == "main" { print $4 }'
  fi
  return 0
}

# Runs apt-get with dpkg's lock timeout; while it fails only because a lock is held, waits and tries again (10 minutes).
apt_get() {
  local attempt output
  for attempt in $(seq 1 120); do
    if output=$("${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 "$@" 2>&1); then
      return 0
    fi
    if ! grep -q -e "Could not get lock" -e "Unable to lock" -e "Unable to acquire the dpkg frontend lock" <<<"$output" || [ "$attempt" -eq 120 ]; then
      printf '%s\n' "$output" >&2
      return 1
    fi
    [ "$attempt" -gt 1 ] || echo "apt-install: another apt/dpkg holds its lock; waiting for it (up to 10 minutes)" >&2
    sleep 5
  done
}

was=$(main_cluster_state)

policy=/usr/sbin/policy-rc.d
own_policy=""
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\n# Written by scripts/apt-install.sh (ChatPersistence.Sdk tests) for the length of an install: no service starts.\nexit 101\n' \
    | "${as_root[@]}" tee "$policy" >/dev/null
  "${as_root[@]}" chmod 755 "$policy"
  own_policy=1
fi
remove_own_policy() { if [ -n "$own_policy" ]; then "${as_root[@]}" rm -f "$policy"; fi; }
trap remove_own_policy EXIT

apt_get update -qq
apt_get install -y -qq --no-install-recommends "$@"

now=$(main_cluster_state)
case "$was" in
  online*) ;;
  *) case "$now" in online*) "${as_root[@]}" pg_ctlcluster 15 main stop ;; esac ;;
esac
