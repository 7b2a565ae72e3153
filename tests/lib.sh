# tests/lib.sh — what the shell integration tests share. Sourced, not run.
# The sourcing script defines fail MESSAGE (print, clean up, exit 1).

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
