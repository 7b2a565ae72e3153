# tests/lib.sh — what the shell integration tests share. Sourced, not run.
# The sourcing script defines fail MESSAGE (print, clean up, exit 1), pass
# MESSAGE (report a check that held) and, for expect, the folder $work.

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND until it succeeds
# and fails the test after SECONDS. The condition is what the test waits
# for; the short pause between polls is only the polling interval, so a
# loaded machine is given time instead of a race (deadlines are generous).
wait_until() {
  local secs=$1 what=$2 end=$(($(date +%s) + $1))
  shift 2
  until "$@" >/dev/null 2>&1; do
    [ "$(date +%s)" -lt "$end" ] || fail "after $secs s: $what"
    sleep 0.1
  done
}

# expect STATUS DESCRIPTION -- COMMAND...: runs COMMAND with its standard
# output in $work/out and its errors in $work/err, and fails the test
# (showing both) unless it exits with STATUS; then reports DESCRIPTION with
# the sourcing script's pass.
expect() {
  local want=$1 what=$2
  shift 3
  set +e
  "$@" >"$work/out" 2>"$work/err"
  local got=$?
  set -e
  [ "$got" -eq "$want" ] ||
    fail "$what: exit $got, want $want; stdout: $(head -c 3000 "$work/out"); stderr: $(cat "$work/err")"
  pass "$what"
}

# pg_hub_database NAME: sets the array hub_database to the arguments for
# `giamsat hub init`: under GIAMSAT_TEST_HUB_PG (the _pg variant of a hub
# test, tests/CMakeLists.txt) "--database URI" of a new database on the
# test cluster of GIAMSAT_TEST_PG, otherwise none. Fails the test when the
# cluster is not there.
pg_hub_database() {
  hub_database=()
  [ -n "${GIAMSAT_TEST_HUB_PG:-}" ] || return 0
  case "${GIAMSAT_TEST_PG:-}" in
    postgresql:///postgres\?*) ;;
    *) fail "GIAMSAT_TEST_PG is not set to the test cluster's URI (tests/pg_cluster.sh)" ;;
  esac
  local db="gs_sh_$$_$1"
  psql -X -q "$GIAMSAT_TEST_PG" -c "CREATE DATABASE $db" >/dev/null ||
    fail "cannot create database $db on $GIAMSAT_TEST_PG"
  hub_database=(--database "postgresql:///$db?${GIAMSAT_TEST_PG#postgresql:///postgres\?}")
}
