#!/usr/bin/env bash
# The temp-folder check of scripts/test.sh: a test run leaves the temp folder as it found it. Sourced, not run.
#   temp_check_begin   notes what is there (throwaway PostgreSQL clusters, their servers, other test files) and names the
#                      run (CHATPERSISTENCE_TEST_RUN, written by the tests into each cluster folder's `owner` file);
#   temp_check_end     waits for the clusters' watchdogs (a cluster is removed at most a second or two after its test
#                      process ends), then fails loudly if a cluster folder or a server of this run is left, and reports
#                      other test files that appeared (clusters of a concurrent run on a shared machine are counted apart:
#                      they carry another run's name).

temp_dir="${TMPDIR:-/tmp}"
temp_dir="${temp_dir%/}"

temp_check_clusters() { find "$temp_dir" -maxdepth 1 -type d -name 'chatpersistence-pg-*' 2>/dev/null | sort; }

# Postmasters started from a cluster folder in the temp folder: "pid data-folder".
temp_check_servers() {
  pgrep -a -f -- "bin/postgres -D $temp_dir/chatpersistence-pg-" 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "-D") print $1, $(i + 1) }' || true
}

# Other files the tests create in the temp folder (SQLite databases, export and sample folders, Chromium profiles).
temp_check_files() {
  find "$temp_dir" -maxdepth 1 \( -name 'chatpersistence-*' -o -name 'chat-*' -o -name '.org.chromium.Chromium.*' \) \
    ! -name 'chatpersistence-pg-*' 2>/dev/null | sort
}

temp_check_ours() {
  local dir
  for dir in $(temp_check_clusters); do
    [ "$(sed -n 2p "$dir/owner" 2>/dev/null)" = "$CHATPERSISTENCE_TEST_RUN" ] && echo "$dir"
  done
  return 0
}

temp_check_begin() {
  export CHATPERSISTENCE_TEST_RUN="test-sh-$$-$(date +%s)"
  temp_check_clusters_before=$(temp_check_clusters | wc -l)
  temp_check_servers_before=$(temp_check_servers | wc -l)
  temp_check_files_before=$(temp_check_files)
  echo "temp check: $temp_check_clusters_before cluster folder(s) and $temp_check_servers_before server(s) in $temp_dir before the run"
}

temp_check_end() {
  local waited=0 ours servers leftover_servers=0 line pid data new_files
  while [ -n "$(temp_check_ours)" ] && [ "$waited" -lt 60 ]; do sleep 1; waited=$((waited + 1)); done
  ours=$(temp_check_ours)
  servers=$(temp_check_servers)
  while read -r pid data; do
    [ -n "$pid" ] || continue
    if [ "$(sed -n 2p "$(dirname "$data")/owner" 2>/dev/null)" = "$CHATPERSISTENCE_TEST_RUN" ]; then
      leftover_servers=$((leftover_servers + 1))
    fi
  done <<<"$servers"
  echo "temp check: $(temp_check_clusters | wc -l) cluster folder(s) and $(printf '%s' "$servers" | grep -c . || true) server(s) in $temp_dir after the run" \
    "(before: $temp_check_clusters_before and $temp_check_servers_before; a concurrent run's are counted too)"
  new_files=$(comm -13 <(printf '%s\n' "$temp_check_files_before") <(temp_check_files) | grep . || true)
  if [ -n "$new_files" ]; then
    echo "temp check: test files that appeared in $temp_dir during the run (this run's or a concurrent one's):" >&2
    printf '  %s\n' $new_files >&2
  fi

  if [ -n "$ours" ] || [ "$leftover_servers" -gt 0 ]; then
    echo "" >&2
    echo "TEMP CHECK FAILED: this test run left $(printf '%s\n' "$ours" | grep -c .) PostgreSQL cluster folder(s) and $leftover_servers running server(s) in $temp_dir:" >&2
    printf '  %s\n' $ours >&2
    echo "Every throwaway cluster must be stopped and deleted when its test process ends (tests/ChatPersistence.Sdk.PostgresTesting)." >&2
    return 1
  fi

  return 0
}
